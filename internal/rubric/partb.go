package rubric

// partB is Part B's rubric (the part's points are in
// Parts). The tests are listed in the order of
// the guide's steps (docs/part-b-pbservice.md), each pointing at the step
// that makes it pass; a failure message links the rule of the guide's
// Specification box that it caught. The TestPBState tests drive the core,
// pbState, directly, one rule at a time; the others run servers and clerks
// over labrpc.
var partB = []Test{
	// Step 1: the ticker and pings.
	{Part: "B", Package: "pbservice", Name: "TestServersPing", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-1-the-ticker-and-pings"},

	// Step 2: handlers over a map.
	{Part: "B", Package: "pbservice", Name: "TestSinglePrimary", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-2-handlers-over-a-map"},

	// Step 3: forwarding to the backup.
	{Part: "B", Package: "pbservice", Name: "TestBackupRejectsClients", Points: 1,
		Doc: "docs/part-b-pbservice.md#step-3-forwarding-to-the-backup"},
	{Part: "B", Package: "pbservice", Name: "TestAppendForwardsArguments", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-3-forwarding-to-the-backup"},
	{Part: "B", Package: "pbservice", Name: "TestConcurrentSame", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-3-forwarding-to-the-backup"},
	{Part: "B", Package: "pbservice", Name: "TestConcurrentSameAppend", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-3-forwarding-to-the-backup"},
	{Part: "B", Package: "pbservice", Name: "TestPrimaryCutOffFromBackup", Points: 3,
		Doc: "docs/part-b-pbservice.md#step-3-forwarding-to-the-backup"},

	// Step 4: state transfer.
	{Part: "B", Package: "pbservice", Name: "TestBasicFail", Points: 3,
		Doc: "docs/part-b-pbservice.md#step-4-state-transfer"},
	{Part: "B", Package: "pbservice", Name: "TestLargeStateTransfer", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-4-state-transfer"},
	{Part: "B", Package: "pbservice", Name: "TestFastRestartBackup", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-4-state-transfer"},
	{Part: "B", Package: "pbservice", Name: "TestFastRestartPrimary", Points: 1,
		Doc: "docs/part-b-pbservice.md#step-4-state-transfer"},
	{Part: "B", Package: "pbservice", Name: "TestAckAfterTransfer", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-4-state-transfer"},
	{Part: "B", Package: "pbservice", Name: "TestBackupRestartsBeforeFirstPing", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-4-state-transfer"},
	{Part: "B", Package: "pbservice", Name: "TestPBStatePings", Points: 1,
		Doc: "docs/part-b-pbservice.md#step-4-state-transfer"},
	{Part: "B", Package: "pbservice", Name: "TestPBStateLonePrimary", Points: 1,
		Doc: "docs/part-b-pbservice.md#step-4-state-transfer"},
	{Part: "B", Package: "pbservice", Name: "TestPBStateForward", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-4-state-transfer"},

	// Step 5: duplicate detection and retries.
	{Part: "B", Package: "pbservice", Name: "TestAtMostOnce", Points: 3,
		Doc: "docs/part-b-pbservice.md#step-5-duplicate-detection-and-retries"},
	{Part: "B", Package: "pbservice", Name: "TestDuplicateTableTransferred", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-5-duplicate-detection-and-retries"},
	{Part: "B", Package: "pbservice", Name: "TestConcurrentSameUnreliable", Points: 3,
		Doc: "docs/part-b-pbservice.md#step-5-duplicate-detection-and-retries"},
	{Part: "B", Package: "pbservice", Name: "TestStateTransferAtomic", Points: 3,
		Doc: "docs/part-b-pbservice.md#step-5-duplicate-detection-and-retries"},
	{Part: "B", Package: "pbservice", Name: "TestLateAndRepeatedRequests", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-5-duplicate-detection-and-retries"},
	{Part: "B", Package: "pbservice", Name: "TestPBStateTransfer", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-5-duplicate-detection-and-retries"},
	{Part: "B", Package: "pbservice", Name: "TestPBStateDuplicates", Points: 1,
		Doc: "docs/part-b-pbservice.md#step-5-duplicate-detection-and-retries"},

	// Step 6: failover in the clerk.
	{Part: "B", Package: "pbservice", Name: "TestViewServiceRPCCount", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-6-failover-in-the-clerk"},
	{Part: "B", Package: "pbservice", Name: "TestFailPut", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-6-failover-in-the-clerk"},
	{Part: "B", Package: "pbservice", Name: "TestRepeatedCrash", Points: 3,
		Doc: "docs/part-b-pbservice.md#step-6-failover-in-the-clerk"},
	{Part: "B", Package: "pbservice", Name: "TestRepeatedCrashUnreliable", Points: 4,
		Doc: "docs/part-b-pbservice.md#step-6-failover-in-the-clerk"},

	// Step 7: partitions and the stale primary.
	{Part: "B", Package: "pbservice", Name: "TestPartition1", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-7-partitions-and-the-stale-primary"},
	{Part: "B", Package: "pbservice", Name: "TestPartition2", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-7-partitions-and-the-stale-primary"},
	{Part: "B", Package: "pbservice", Name: "TestPBStateStalePrimary", Points: 1,
		Doc: "docs/part-b-pbservice.md#step-7-partitions-and-the-stale-primary"},
	{Part: "B", Package: "pbservice", Name: "TestRejoinNoMutualWait", Points: 2,
		Doc: "docs/part-b-pbservice.md#step-7-partitions-and-the-stale-primary"},

	// Linearizability: the property the rules add up to.
	{Part: "B", Package: "pbservice", Name: "TestLinearizability", Points: 4,
		Doc: "docs/part-b-pbservice.md#linearizability"},

	// Throughout: Kill.
	{Part: "B", Package: "pbservice", Name: "TestKillStopsGoroutines", Points: 2,
		Doc: "docs/part-b-pbservice.md#kill-and-goroutines"},
}
