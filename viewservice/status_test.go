package viewservice

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Status reports what the view service did, whatever its rules: every
// view its replies handed out, in order, with when and why it began, and
// each server's latest ping. (viewd's live page shows it; it is not
// graded.)
func TestStatus(t *testing.T) {
	scenario(t, func(c *cluster) {
		st := c.vs.Status()
		assert.Equal(t, vsName, st.Me, "Status names the view service")
		assert.Empty(t, st.Views, "before any ping there is no view to record")
		assert.Empty(t, st.Servers, "before any ping no server is known")

		start := time.Now()
		s1, s2 := c.server("s1"), c.server("s2")
		var handedOut []View // the distinct views the replies showed, in order
		note := func(v View) {
			if v.Viewnum > 0 && (len(handedOut) == 0 || handedOut[len(handedOut)-1] != v) {
				handedOut = append(handedOut, v)
			}
		}
		note(s1.ping(0))
		time.Sleep(PingInterval)
		note(s1.ping(s1.seen.Viewnum))
		note(s2.ping(0))
		time.Sleep(PingInterval)
		s1Sent := s1.seen.Viewnum
		note(s1.ping(s1Sent))
		note(s2.ping(s2.seen.Viewnum))

		st = c.vs.Status()
		assert.Equal(t, c.get(), st.View, "Status's view is the current view")
		var recorded []View
		for i, rec := range st.Views {
			recorded = append(recorded, rec.View)
			assert.False(t, rec.Start.Before(start), "view %d began during the test", rec.View.Viewnum)
			assert.Contains(t, rec.Why, "after a ping from s", "view %d was made by a ping", rec.View.Viewnum)
			if i > 0 {
				assert.False(t, rec.Start.Before(st.Views[i-1].Start), "the views are recorded oldest first")
			}
		}
		assert.Equal(t, handedOut, recorded, "Status records every view the pings were answered with, in order")

		require.Len(t, st.Servers, 2, "Status knows every server that pinged")
		assert.Equal(t, "s1", st.Servers[0].Name, "the servers are sorted by name")
		assert.Equal(t, s1Sent, st.Servers[0].Viewnum, "Status has the view number of s1's latest ping")
		assert.Equal(t, "s2", st.Servers[1].Name, "the servers are sorted by name")
		assert.False(t, st.Servers[1].LastPing.Before(st.Servers[0].LastPing), "s2 pinged last")
		assert.False(t, st.Time.Before(st.Servers[1].LastPing), "the status is taken after the latest ping")
	})
}
