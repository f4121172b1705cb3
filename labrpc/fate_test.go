package labrpc

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type fateService struct{}

func (*fateService) Echo(args *struct{ N int }, reply *struct{ N int }) { reply.N = args.N }

// A seed gives the faults it gave before: the fates of a fixed sequence of
// calls, under every combination of the switches, on three links (one to a
// server never added), match those recorded in testdata. A change to how
// fates are drawn that fails this test makes every seed printed so far
// replay other faults; do not update the file to make it pass.
func TestSeededFates(t *testing.T) {
	const golden = "testdata/fates-seed-6824.golden"
	t.Setenv("LABRPC_SEED", "6824")
	n := MakeNetwork()
	defer n.Cleanup()
	require.NoError(t, n.AddServer("server", &fateService{}), "AddServer of a valid service must succeed")
	ends := []*ClientEnd{n.MakeEnd("client"), n.MakeEnd(""), n.MakeEnd("s1")}
	to := []string{"server", "server", "gone"}

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
