package pbservice

import (
	"pblab/internal/diagram"
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
