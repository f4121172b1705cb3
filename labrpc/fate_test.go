package labrpc

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/faults"
)

type fateService struct{}

func (*fateService) Echo(args *struct{ N int }, reply *struct{ N int }) { reply.N = args.N }

// seededLinks returns a network seeded with 6824 and the three links the
// recorded fates are planned on: two callers (one anonymous) of its server,
// and a caller of a server never added, as ends and server names.
func seededLinks(t *testing.T) (*Network, []*ClientEnd, []string) {
	t.Setenv("LABRPC_SEED", "6824")
	n := MakeNetwork()
	t.Cleanup(n.Cleanup)
	require.NoError(t, n.AddServer("server", &fateService{}), "AddServer of a valid service must succeed")
	return n, []*ClientEnd{n.MakeEnd("client"), n.MakeEnd(""), n.MakeEnd("s1")}, []string{"server", "server", "gone"}
}

// A seed gives the faults it gave before: the fates of a fixed sequence of
// calls, under every combination of the switches, on three links (one to a
// server never added), match those recorded in testdata. A change to how
// fates are drawn that fails this test makes every seed printed so far
// replay other faults; do not update the file to make it pass.
func TestSeededFates(t *testing.T) {
	const golden = "testdata/fates-seed-6824.golden"
	n, ends, to := seededLinks(t)

	var got strings.Builder
	for i := range 96 {
		end, server, switches := ends[i%3], to[i%3], (i/3)%8
		reliable, longDelays, longReordering := switches&1 == 0, switches&2 != 0, switches&4 != 0
		n.Reliable(reliable)
		n.LongDelays(longDelays)
		n.LongReordering(longReordering)
		p := n.plan(end, server, "fateService.Echo")
		f := p.fate
		fmt.Fprintf(&got, "#%d %q->%q reliable=%v longDelays=%v longReordering=%v reachable=%v: "+
			"delay=%v dropRequest=%v dropReply=%v hold=%v failAfter=%v\n",
			p.id, end.name, server, reliable, longDelays, longReordering, p.reachable,
			f.RequestDelay, f.DropRequest, f.DropReply, f.HoldReply, f.FailAfter)
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "the recorded fates must be readable")
	assert.Equal(t, string(want), got.String(),
		"LABRPC_SEED=6824 must give the same fault decisions as the ones recorded in %s (docs/labrpc.md#seeds-and-replay)", golden)
}

// planFates plans the same calls on three links (one to a server never
// added) of an unreliable network, with late requests on or off, and
// returns their fates, each also rendered on a line.
func planFates(t *testing.T, lateRequests bool) ([]faults.Fate, string) {
	n, ends, to := seededLinks(t)
	n.Reliable(false)
	n.LateRequests(lateRequests)
	var fates []faults.Fate
	var lines strings.Builder
	for i := range 120 {
		p := n.plan(ends[i%3], to[i%3], "fateService.Echo")
		f := p.fate
		fates = append(fates, f)
		fmt.Fprintf(&lines, "#%d %q->%q reachable=%v: delay=%v dropRequest=%v dropReply=%v deliverLate=%v repeat=%v\n",
			p.id, ends[i%3].name, to[i%3], p.reachable, f.RequestDelay, f.DropRequest, f.DropReply, f.DeliverLate, f.Repeat)
	}
	return fates, lines.String()
}

// A seed gives the late and repeated requests it gave before, drawn from
// the links' streams of late faults, as recorded in testdata; and turning
// late requests on changes none of the other faults a seed gives. Do not
// update the file to make this test pass: see TestSeededFates.
func TestSeededLateFates(t *testing.T) {
	const golden = "testdata/late-fates-seed-6824.golden"
	late, rendered := planFates(t, true)
	without, _ := planFates(t, false)
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "the recorded fates must be readable")
	assert.Equal(t, string(want), rendered,
		"LABRPC_SEED=6824 must give the same late and repeated requests as the ones recorded in %s (docs/labrpc.md#seeds-and-replay)", golden)

	var lates, repeats int
	for i, f := range late {
		if f.DeliverLate > 0 {
			lates++
		}
		if f.Repeat > 0 {
			repeats++
		}
		f.DeliverLate, f.Repeat = 0, 0
		assert.Equal(t, without[i], f, "call #%d: LateRequests must not change a call's other faults (docs/labrpc.md#seeds-and-replay)", i+1)
	}
	assert.Positive(t, lates, "some lost requests arrive late")
	assert.Positive(t, repeats, "some requests arrive twice")
}
