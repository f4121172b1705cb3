package pbservice

import (
	"time"

	"github.com/stretchr/testify/require"

	"pblab/internal/diagram"
	"pblab/labrpc"
	"pblab/viewservice"
)

// viewDiagram tells the message diagram of a failing test that vshost is
// the view service, and which of its messages carry a view.
func viewDiagram(vshost string) diagram.Description {
	return diagram.Description{
		ViewServices: []string{vshost},
		View: func(msg any) (diagram.View, bool) {
			var v viewservice.View
			switch r := msg.(type) {
			case viewservice.PingReply:
				v = r.View
			case viewservice.GetReply:
				v = r.View
			default:
				return diagram.View{}, false
			}
			return diagram.View{Viewnum: v.Viewnum, Primary: v.Primary, Backup: v.Backup}, true
		},
	}
}

// keepMessages makes net's journal keep, besides the views that d finds
// for the message diagram, the arguments of every Ping (so that waitAck can
// tell when a primary's ack has reached the view service) and of every
// PutAppend with its reply (so that a failed check can say what happened
// to an Append).
func keepMessages(net *labrpc.Network, d diagram.Description) {
	net.Describe(func(_ string, msg any) any {
		if v, ok := d.View(msg); ok {
			return v
		}
		switch msg.(type) {
		case viewservice.PingArgs, PutAppendArgs, PutAppendReply:
			return msg
		}
		return nil
	})
}

// waitAck waits, at most tries ping intervals, until the primary of v has
// acked v: a Ping from it carrying v's number has reached the view
// service. Before that, killing the primary would stall the service for
// good (the ack rule), whatever the servers do. It reports whether the ack
// came.
func (c *cluster) waitAck(v viewservice.View, tries int) bool {
	for range tries {
		sent := map[uint64]bool{}
		for _, e := range c.net.Journal().Events {
			switch e.Kind {
			case labrpc.EventSend:
				if p, ok := e.Info.(viewservice.PingArgs); ok && p.Me == v.Primary && p.Viewnum == v.Viewnum {
					sent[e.Call] = true
				}
			case labrpc.EventDeliver:
				if sent[e.Call] {
					return true
				}
			}
		}
		time.Sleep(viewservice.PingInterval)
	}
	return false
}

// requireSettled waits until the view has this primary and backup and its
// primary has acked it, and fails the test now if that does not happen. On
// a lossy network the view service may think a live server dead for a
// moment (it missed DeadPings pings in a row), and move on: then it waits
// for the next such view.
func (c *cluster) requireSettled(primary, backup string, r rule) viewservice.View {
	c.t.Helper()
	for range 5 {
		v := c.requireView(20, primary, backup, r)
		if c.waitAck(v, 20) && c.view().Viewnum == v.Viewnum {
			return v
		}
	}
	require.FailNow(c.t, r.explain("the view never settled on primary=%q backup=%q, acked by its primary (it is now %+v)", primary, backup, c.view()))
	return viewservice.View{}
}
