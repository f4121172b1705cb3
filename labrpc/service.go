package labrpc

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
)

// A server is one incarnation of a named server: a restart is a new server.
type server struct {
	name     string
	services map[string]*service
	// stopped is closed when the server crashes or the network is cleaned
	// up: calls waiting for its handlers give up, and its idle workers
	// end. It is one channel rather than two so that the hot selects stay
	// small. isStopped records that it is closed; both are under the
	// network's lock.
	stopped   chan struct{}
	isStopped bool
	count     *atomic.Int64 // requests delivered to servers of this name
	jobs      chan job      // handed to idle workers
	idle      atomic.Int32  // idle workers
}

// A service is one receiver and its RPC methods.
type service struct {
	name    string
	rcvr    reflect.Value
	methods map[string]*method
}

// A method is one RPC handler.
type method struct {
	name      string // "Service.Method"
	rcvr      reflect.Value
	fn        reflect.Value // the method's func, receiver first
	argType   reflect.Type  // A, whether the handler takes A or *A
	argIsPtr  bool
	replyType reflect.Type // R, the handler takes *R
	hasError  bool

	argCodec, replyCodec *typeCodec // set by AddServer
}

var errorType = reflect.TypeFor[error]()

func newService(rcvr any) (*service, error) {
	v := reflect.ValueOf(rcvr)
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return nil, fmt.Errorf("service %T: a service must be a non-nil pointer, such as &ViewServer{}", rcvr)
	}
	name := v.Elem().Type().Name()
	if name == "" {
		return nil, fmt.Errorf("service %T: a service must be a pointer to a named type", rcvr)
	}
	svc := &service{name: name, rcvr: v, methods: map[string]*method{}}
	t := v.Type()
	for i := range t.NumMethod() {
		m := t.Method(i)
		if m.Type.NumIn() != 3 { // receiver, args, reply
			continue
		}
		rpc, err := checkMethod(m)
		if err != nil {
			return nil, fmt.Errorf("service %s: method %s: %w", name, m.Name, err)
		}
		rpc.rcvr, rpc.name = v, name+"."+m.Name
		svc.methods[m.Name] = rpc
	}
	if len(svc.methods) == 0 {
		return nil, fmt.Errorf("service %s has no RPC methods: an RPC method looks like func (r *%s) M(args *A, reply *R)", name, name)
	}
	return svc, nil
}

func checkMethod(m reflect.Method) (*method, error) {
	args, reply := m.Type.In(1), m.Type.In(2)
	if reply.Kind() != reflect.Pointer {
		return nil, fmt.Errorf("the reply (second argument) must be a pointer, *%s, not %s", reply, reply)
	}
	var hasError bool
	switch {
	case m.Type.NumOut() == 0:
	case m.Type.NumOut() == 1 && m.Type.Out(0) == errorType:
		hasError = true
	default:
		return nil, fmt.Errorf("an RPC method returns nothing or an error, not %s", outs(m.Type))
	}
	rpc := &method{fn: m.Func, argType: args, replyType: reply.Elem(), hasError: hasError}
	if args.Kind() == reflect.Pointer {
		rpc.argType, rpc.argIsPtr = args.Elem(), true
	}
	return rpc, nil
}

func outs(t reflect.Type) string {
	var s []string
	for i := range t.NumOut() {
		s = append(s, t.Out(i).String())
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// stopLocked closes srv.stopped, once; the network's lock is held.
func (srv *server) stopLocked() {
	if !srv.isStopped {
		srv.isStopped = true
		close(srv.stopped)
	}
}

// lookup finds a method by "Service.Method", or explains what is wrong.
func (srv *server) lookup(svcMeth string) (*method, error) {
	svcName, methName, ok := strings.Cut(svcMeth, ".")
	if !ok {
		return nil, fmt.Errorf("%q is not of the form \"Service.Method\"", svcMeth)
	}
	svc, ok := srv.services[svcName]
	if !ok {
		return nil, fmt.Errorf("server %q has no service %q; it has %s", srv.name, svcName, keys(srv.services))
	}
	m, ok := svc.methods[methName]
	if !ok {
		return nil, fmt.Errorf("service %q of server %q has no RPC method %q; it has %s", svcName, srv.name, methName, keys(svc.methods))
	}
	return m, nil
}

func keys[V any](m map[string]V) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}
