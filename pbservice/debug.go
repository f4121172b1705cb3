package pbservice

import "pblab/internal/topiclog"

// Topic logs: debugf prints a line only when its topic is turned on with the
// PBLAB_DEBUG environment variable, for example
//
//	PBLAB_DEBUG=pb go test -run '^TestBasicFail$' ./pbservice         every topic of the key/value service
//	PBLAB_DEBUG=fwd,xfer go test -run '^TestBasicFail$' ./pbservice   forwarding and state transfer only
//	PBLAB_DEBUG=pb,vs ...                                             Part B and the view service
//	PBLAB_DEBUG=all ...                                               everything
//
// Each line starts with the time (virtual time in tests, so 00:00:01.200000
// is 1.2 s into the test, as in the message diagram), the node and the
// topic:
//
//	00:00:01.200000 s1     fwd   Append("k", "x") to backup s2: OK
//
// PBLAB_DEBUG is read once, when the program starts. With it unset, a call
// of debugf costs a test of one bool (plus building its arguments), so calls
// may stay in the code. Do not change this file: the grader uses its own
// copy, so log under the topics below. See docs/debugging.md, "Topic logs".

// The key/value service's topics; "pb" turns on all of them.
const (
	topicOp    = "op"    // client requests at a server, and the answers
	topicDup   = "dup"   // requests recognised as duplicates
	topicFwd   = "fwd"   // operations forwarded to the backup, and the outcome
	topicXfer  = "xfer"  // state transfers to a new backup
	topicView  = "view"  // views a server learns from its pings, and its role
	topicClerk = "clerk" // a clerk's tries, failures and primary lookups
)

// pbTopics lists the key/value service's topics, for PBLAB_DEBUG=pb.
var pbTopics = []string{topicOp, topicDup, topicFwd, topicXfer, topicView, topicClerk}

// debugLog is this package's topic log, and debugOn tells whether any of
// its topics is on: with PBLAB_DEBUG unset, debugf returns at once.
var (
	debugLog = topiclog.New("pb", pbTopics...)
	debugOn  = debugLog.Enabled()
)

// debugf prints one line about node under topic, if PBLAB_DEBUG turns that
// topic on. format and args are as for fmt.Printf.
func debugf(topic, node, format string, args ...any) {
	if !debugOn {
		return
	}
	debugLog.Printf(topic, node, format, args...)
}
