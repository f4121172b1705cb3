package labrpc_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labtest"
	"pblab/labrpc"
)

// Where a Host is explained: in the package doc, with the network it
// belongs to.
const docHost = "the doc of labrpc.Host"

// A host adds one server under its name, and no more.
func TestHostAddsOneServer(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		h := net.Host("server")
		assert.Equal(t, "server", h.Name(), "a host acts under the name it was made for (%s)", docHost)
		svc := newSvc()
		require.NoError(t, h.AddServer(svc), "a host adds the server of its name (%s)", docHost)
		assert.True(t, net.MakeEnd("client").Call("server", "Svc.Echo", newArgs(1), &Reply{}), "the host's server serves under its name (%s)", docHost)

		err := h.AddServer(newSvc())
		if assert.Error(t, err, "a host adds one server at most (%s)", docHost) {
			assert.Contains(t, err.Error(), `labrpc: Host.AddServer "server"`, "the error says where it comes from (%s)", docHost)
		}
		err = net.Host("server").AddServer(newSvc())
		assert.ErrorContains(t, err, "already running", "another host cannot add a second server of a running name (%s)", docHost)
		assert.Equal(t, 1, svc.Total(), "the first server still serves alone (%s)", docHost)
	})
}

// Crash crashes the server its host added, and never a successor of the
// same name added by another host.
func TestHostCrashesOnlyItsServer(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		end := net.MakeEnd("client")
		call := func() bool { return end.Call("server", "Svc.Echo", newArgs(1), &Reply{}) }

		net.Host("server").Crash() // a host that added nothing crashes nothing
		first := net.Host("server")
		require.NoError(t, first.AddServer(newSvc()), "a host adds the server of its name (%s)", docHost)
		first.Crash()
		assert.False(t, call(), "Crash crashes the host's server (%s)", docHost)

		second := net.Host("server")
		successor := newSvc()
		require.NoError(t, second.AddServer(successor), "a new host adds a restarted server (%s)", docHost)
		first.Crash() // the old server's Kill, late
		assert.True(t, call(), "Crash never touches a successor of the same name (%s)", docHost)
		assert.Equal(t, 1, successor.Total(), "the successor served the call (%s)", docHost)

		second.Crash()
		assert.False(t, call(), "Crash crashes the running server its host added (%s)", docHost)
	})
}

// A host's ends call under its name: the journal names it, and a crash of
// that name kills them, as it kills the network's own ends of the name.
func TestHostEndsCallUnderItsName(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		addSvc(t, net, "vs")
		h := net.Host("s1")
		require.NoError(t, h.AddServer(newSvc()), "a host adds the server of its name (%s)", docHost)
		end := h.MakeEnd()
		assert.Equal(t, "s1", end.Name(), "a host's end calls under the host's name (%s)", docHost)
		require.True(t, end.Call("vs", "Svc.Echo", newArgs(1), &Reply{}), "a reliable call must succeed (%s)", docContract)
		for _, e := range net.Journal().Events {
			if e.Call != 0 {
				assert.Equal(t, "s1", e.From, "the journal names the host as the caller (%s)", docHost)
			}
		}

		h.Crash()
		assert.False(t, end.Call("vs", "Svc.Echo", newArgs(2), &Reply{}), "fail-stop: a crashed host's ends are dead (%s)", docFailStop)
		assert.True(t, net.Host("s1").MakeEnd().Call("vs", "Svc.Echo", newArgs(3), &Reply{}),
			"the ends of a host made after the crash work (%s)", docFailStop)
	})
}

// The anonymous host can call, but not serve.
func TestAnonymousHostCannotServe(t *testing.T) {
	labtest.Run(t, func(t *testing.T) {
		net := labtest.NewNetwork(t)
		addSvc(t, net, "server")
		h := net.Host("")
		err := h.AddServer(newSvc())
		assert.ErrorContains(t, err, "an anonymous host cannot serve", "the anonymous host cannot add a server (%s)", docHost)
		assert.True(t, h.MakeEnd().Call("server", "Svc.Echo", newArgs(1), &Reply{}), "the anonymous host can call (%s)", docHost)
	})
}

// A host reaches nothing but its own name's place: its methods, and those
// of the ends it makes, are exactly these, and none of them hands out the
// network or anything of it.
func TestHostReachesNoFaultControls(t *testing.T) {
	methods := func(v any) []string {
		typ := reflect.TypeOf(v)
		var names []string
		for i := range typ.NumMethod() {
			m := typ.Method(i)
			names = append(names, m.Name)
			for j := range m.Type.NumOut() {
				assert.NotEqual(t, reflect.TypeFor[*labrpc.Network](), m.Type.Out(j), "%s.%s must not return the network (%s)", typ, m.Name, docHost)
			}
		}
		slices.Sort(names)
		return names
	}
	assert.Equal(t, []string{"AddServer", "Crash", "MakeEnd", "Name"}, methods(&labrpc.Host{}),
		"a Host has no method that reaches the fault controls (%s)", docHost)
	assert.Equal(t, []string{"Call", "Name"}, methods(&labrpc.ClientEnd{}),
		"an end made by a Host can only call (%s)", docHost)
	for _, typ := range []reflect.Type{reflect.TypeFor[labrpc.Host](), reflect.TypeFor[labrpc.ClientEnd]()} {
		for i := range typ.NumField() {
			assert.False(t, typ.Field(i).IsExported(), "%s has no exported field: %s (%s)", typ, typ.Field(i).Name, docHost)
		}
	}
}
