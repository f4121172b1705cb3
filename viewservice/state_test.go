package viewservice

// Table-driven tests of viewState, the view service's rules: each case is a
// sequence of pings and ticks, called directly, with no goroutines, clocks
// or network. A case never depends on whether a change happens in
// handlePing or at the next handleTick: it ticks before it checks.
//
// Tick counts: a server that pinged and then fell silent is still alive
// DeadPings ticks later (it has missed DeadPings-1 whole intervals), and
// dead DeadPings+1 ticks later.

import "testing"

// A view service starts at view 0 and makes the first server to ping the
// primary of view 1.
func TestViewStateFirstPrimary(t *testing.T) {
	runStateCases(t, []stateCase{
		{
			name: "view 0 before any ping, however long",
			rule: ruleStartup,
			steps: []step{
				want(View{}),
				ticks(3 * DeadPings),
				want(View{}),
			},
		},
		{
			name: "the first server to ping becomes primary of view 1",
			rule: ruleFirstPrimary,
			steps: []step{
				ping("s1", 0), ticks(1),
				want(View{1, "s1", ""}),
			},
		},
		{
			name: "of two servers, the first to ping is primary",
			rule: ruleFirstPrimary,
			steps: []step{
				ping("s1", 0), ping("s2", 0), ticks(1),
				wantThat("s1 as primary", func(v View) bool { return v.Viewnum >= 1 && v.Primary == "s1" }),
			},
		},
		{
			name: "the first ping makes its sender primary whatever number it carries",
			rule: ruleFirstPrimary,
			steps: []step{
				ping("s1", 7), ticks(1),
				want(View{1, "s1", ""}),
			},
		},
		{
			name: "a lone primary that keeps pinging stays primary of view 1",
			rule: ruleNoSpurious,
			steps: []step{
				ping("s1", 0), ticks(1),
				want(View{1, "s1", ""}),
				stays(3*DeadPings, acks("s1")),
			},
		},
		{
			name: "currentView changes nothing",
			rule: ruleGet,
			steps: []step{
				gets(100), want(View{}),
				ping("s1", 0), ticks(1), gets(100),
				want(View{1, "s1", ""}),
			},
		},
	})
}

// Once the primary has acked view 1, the next server to ping becomes the
// backup; after that, pings that bring no news change nothing.
func TestViewStateBackup(t *testing.T) {
	runStateCases(t, []stateCase{
		{
			name: "after the primary acks view 1, the next server to ping becomes backup of view 2",
			rule: ruleBackup,
			steps: steps(primaryS1(), []step{
				ping("s2", 0), ticks(1),
				want(View{2, "s1", "s2"}),
			}),
		},
		{
			name: "pings that bring no news change nothing",
			rule: ruleNoSpurious,
			steps: steps(s1AndS2(), []step{
				stays(3*DeadPings, acks("s1", "s2")),
			}),
		},
		{
			name: "a third server stays idle while primary and backup live",
			rule: ruleNoSpurious,
			steps: steps(s1AndS2(), []step{
				stays(3*DeadPings, acks("s1", "s2"), ping("s3", 0)),
			}),
		},
	})
}

// A server that misses DeadPings ping intervals is dead: a dead primary is
// replaced by its backup, a dead backup is dropped.
func TestViewStateFailureDetection(t *testing.T) {
	runStateCases(t, []stateCase{
		{
			name: "the backup takes over once the primary has missed DeadPings intervals",
			rule: ruleDead,
			steps: steps(s1AndS2(), []step{
				rounds(DeadPings-1, acks("s2")),
				want(View{2, "s1", "s2"}), // DeadPings-1 ticks of silence: s1 is still alive
				rounds(2, acks("s2")),
				want(View{3, "s2", ""}),
			}),
		},
		{
			name: "a server is alive DeadPings ticks after its last ping, and dead one tick later",
			rule: ruleDead,
			steps: steps(s1AndS2(), []step{
				rounds(DeadPings, acks("s2")),
				want(View{2, "s1", "s2"}), // DeadPings ticks of silence: s1 has missed DeadPings-1 whole intervals
				rounds(1, acks("s2")),
				want(View{3, "s2", ""}),
			}),
		},
		{
			name: "a dead backup is dropped from the view",
			rule: ruleDead,
			steps: steps(s1AndS2(), []step{
				rounds(DeadPings-1, acks("s1")),
				want(View{2, "s1", "s2"}),
				rounds(2, acks("s1")),
				want(View{3, "s1", ""}),
			}),
		},
		{
			name: "a server that comes back after it was declared dead becomes backup",
			rule: ruleDead,
			steps: steps(s1AndS2(), []step{
				rounds(DeadPings+1, acks("s2")),
				want(View{3, "s2", ""}),
				ping("s1", 0), acks("s2"), acks("s2"), acks("s1"), ticks(1),
				want(View{4, "s2", "s1"}),
			}),
		},
		{
			name: "a dead idle server is not made backup",
			rule: ruleDeadIdle,
			steps: steps(s1AndS2(), []step{
				ping("s3", 0),
				rounds(DeadPings+1, acks("s1", "s2")), // s3 is dead by now
				want(View{2, "s1", "s2"}),
				rounds(DeadPings+1, acks("s1")), // and now s2 dies
				want(View{3, "s1", ""}),
			}),
		}, {
			name: "a server that pings again in time is not dead",
			rule: ruleDead,
			steps: steps(s1AndS2(), []step{
				rounds(DeadPings-1, acks("s2")),
				stays(3*DeadPings, acks("s1", "s2")),
			}),
		},
	})
}

// The view service does not leave view i until the primary of view i has
// pinged with number i.
func TestViewStateAckRule(t *testing.T) {
	runStateCases(t, []stateCase{
		{
			name: "a server that pings before the primary's ack becomes backup after it",
			rule: ruleAck,
			steps: []step{
				ping("s1", 0), ticks(1),
				want(View{1, "s1", ""}),
				stays(3, ping("s2", 0)), // s1 has not acked view 1: no view 2 yet
				acks("s1"), acks("s1"), ticks(1),
				want(View{2, "s1", "s2"}),
			},
		},
		{
			name: "no new view before the primary acks, even when the primary looks dead",
			rule: ruleAck,
			steps: steps(primaryS1(), []step{
				ping("s2", 0), ticks(1), acks("s2"),
				want(View{2, "s1", "s2"}),
				// s1 never pings 2, and stops pinging; s2's pings of 2 are no ack.
				stays(3*DeadPings, acks("s2")),
			}),
		},
		{
			name: "a newcomer to a dead primary's view never becomes primary",
			rule: ruleUninit,
			steps: steps(primaryS1(), []step{
				ticks(DeadPings + 1),
				rounds(3*DeadPings, ping("s2", 0)),
				wantThat("s1 still primary: a dead primary with no live backup keeps its view, and no newcomer takes its place",
					func(v View) bool { return v.Primary == "s1" }),
			}),
		},
		{
			name: "a ping with an older view number is no ack",
			rule: ruleAck,
			steps: steps(primaryS1(), []step{
				ping("s2", 0), ticks(1),
				want(View{2, "s1", "s2"}),
				// s1 keeps pinging 1; s2 falls silent and dies, but view 2 is not acked.
				stays(3*DeadPings, ping("s1", 1)),
				acks("s1"), ticks(1), // now s1 pings 2: the dead backup can go
				want(View{3, "s1", ""}),
			}),
		},
	})
}

// A Ping(0) from the primary or backup, once it knew its role, means it
// crashed and restarted: it has lost its state.
func TestViewStateRestarts(t *testing.T) {
	runStateCases(t, []stateCase{
		{
			name: "a primary that pings 0 has restarted: its backup takes over at once",
			rule: ruleRestart,
			steps: steps(s1AndS2(), []step{
				ping("s1", 0), ticks(1),
				wantThat("view 3 with s2 as primary", func(v View) bool { return v.Viewnum == 3 && v.Primary == "s2" }),
			}),
		},
		{
			name: "a backup that pings 0 has restarted: it loses its place, then rejoins",
			rule: ruleRestart,
			steps: steps(s1AndS2(), []step{
				ping("s2", 0), ticks(1),
				want(View{3, "s1", ""}),
				acks("s1", "s2"), acks("s1", "s2"), ticks(1),
				want(View{4, "s1", "s2"}),
			}),
		},
		{
			name: "a server still pinging 0 because it has not heard of its new role has not restarted",
			rule: ruleRestart,
			steps: []step{
				ping("s1", 0), ticks(1),
				ping("s2", 0),                    // view 1 is not acked: s2 is told view 1, where it is idle
				acks("s1"), acks("s1"), ticks(1), // s1 acks: s2 becomes backup, and has not been told
				want(View{2, "s1", "s2"}),
				ping("s2", 0), ticks(1),
				want(View{2, "s1", "s2"}),
				stays(3*DeadPings, acks("s1", "s2")),
			},
		},
		{
			name: "the first primary, pinging 0 again before any backup joined, stays primary",
			rule: ruleRestart,
			steps: []step{
				ping("s1", 0), ping("s1", 0), ticks(1), // as if the first reply was lost
				acks("s1"), acks("s1"),
				ping("s2", 0), ticks(1),
				acks("s1", "s2"), acks("s1", "s2"), ticks(1),
				want(View{2, "s1", "s2"}),
			},
		},
		{
			name: "a backup that restarts before the primary acks loses its place once the primary acks",
			rule: ruleRestart,
			steps: steps(primaryS1(), []step{
				ping("s2", 0), ticks(1), acks("s2"), acks("s2"),
				want(View{2, "s1", "s2"}),
				ping("s2", 0), ticks(1), // s2 knew it was backup: it restarted
				want(View{2, "s1", "s2"}), // the ack rule: no change yet
				acks("s1"), acks("s1"), ticks(1),
				want(View{3, "s1", ""}),
			}),
		},
	})
}

// Servers that ping but hold no role are idle: one of them fills the
// backup's place when it is empty, but none ever becomes primary directly.
func TestViewStateIdleServers(t *testing.T) {
	runStateCases(t, []stateCase{
		{
			name: "when the primary dies, the backup takes over and an idle server becomes backup, in one view change",
			rule: ruleIdle,
			steps: steps(s1AndS2(), []step{
				ping("s3", 0),
				rounds(DeadPings+1, acks("s2"), acks("s3")),
				want(View{3, "s2", "s3"}),
			}),
		},
		{
			name: "when the backup dies, an idle server replaces it in one view change",
			rule: ruleIdle,
			steps: steps(s1AndS2(), []step{
				ping("s3", 0),
				rounds(DeadPings+1, acks("s1"), acks("s3")),
				want(View{3, "s1", "s3"}),
			}),
		},
		{
			name: "of two idle servers, one becomes backup",
			rule: ruleIdle,
			steps: steps(primaryS1(), []step{
				ping("s2", 0), ping("s3", 0), ticks(1),
				wantThat("view 2 with s2 or s3 as backup", func(v View) bool {
					return v.Viewnum == 2 && v.Primary == "s1" && (v.Backup == "s2" || v.Backup == "s3")
				}),
				stays(3*DeadPings, acks("s1", "s2", "s3")),
			}),
		},

		{
			name: "an idle server never becomes primary, even when primary and backup die",
			rule: ruleUninit,
			steps: steps(s1AndS2(), []step{
				rounds(3*DeadPings, ping("s3", 0)),
				wantThat("a primary other than s3", func(v View) bool { return v.Primary != "s3" }),
			}),
		},
	})
}
