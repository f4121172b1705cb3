package rubric

// partA is Part A's rubric (the part's points are in
// Parts). The tests are in viewservice: the
// table-driven tests of viewState's rules (TestViewState...) and the
// scenarios over labrpc (the other TestView... tests). Doc is the step of
// the guide that makes a test pass; a failure message links the rule of the
// guide's Specification box that it caught.
var partA = []Test{
	// Step 1: the first primary.
	{Part: "A", Package: "viewservice", Name: "TestViewStateFirstPrimary", Points: 1, Doc: docA + "#step-1-the-first-primary"},
	{Part: "A", Package: "viewservice", Name: "TestViewStartupView", Points: 1, Doc: docA + "#step-1-the-first-primary"},
	{Part: "A", Package: "viewservice", Name: "TestViewFirstPrimary", Points: 1, Doc: docA + "#step-1-the-first-primary"},
	{Part: "A", Package: "viewservice", Name: "TestViewKill", Points: 1, Doc: docA + "#step-1-the-first-primary"},

	// Step 2: the backup.
	{Part: "A", Package: "viewservice", Name: "TestViewStateBackup", Points: 1, Doc: docA + "#step-2-the-backup"},
	{Part: "A", Package: "viewservice", Name: "TestViewFirstBackup", Points: 1, Doc: docA + "#step-2-the-backup"},
	{Part: "A", Package: "viewservice", Name: "TestViewNoSpuriousChanges", Points: 1, Doc: docA + "#step-2-the-backup"},
	{Part: "A", Package: "viewservice", Name: "TestViewGetChangesNothing", Points: 1, Doc: docA + "#step-2-the-backup"},

	// Step 3: failure detection.
	{Part: "A", Package: "viewservice", Name: "TestViewStateFailureDetection", Points: 2, Doc: docA + "#step-3-failure-detection"},
	{Part: "A", Package: "viewservice", Name: "TestViewBackupTakesOver", Points: 1, Doc: docA + "#step-3-failure-detection"},
	{Part: "A", Package: "viewservice", Name: "TestViewDeadBackupRemoved", Points: 1, Doc: docA + "#step-3-failure-detection"},
	{Part: "A", Package: "viewservice", Name: "TestViewRestartedServerBecomesBackup", Points: 1, Doc: docA + "#step-3-failure-detection"},
	{Part: "A", Package: "viewservice", Name: "TestViewDeadIdleServerNotBackup", Points: 1, Doc: docA + "#step-3-failure-detection"},

	// Step 4: the ack rule.
	{Part: "A", Package: "viewservice", Name: "TestViewStateAckRule", Points: 2, Doc: docA + "#step-4-the-ack-rule"},
	{Part: "A", Package: "viewservice", Name: "TestViewBackupPingsBeforeAck", Points: 1, Doc: docA + "#step-4-the-ack-rule"},
	{Part: "A", Package: "viewservice", Name: "TestViewWaitsForPrimaryAck", Points: 1, Doc: docA + "#step-4-the-ack-rule"},
	{Part: "A", Package: "viewservice", Name: "TestViewUninitializedServerNotPromoted", Points: 1, Doc: docA + "#step-4-the-ack-rule"},

	// Step 5: restarts.
	{Part: "A", Package: "viewservice", Name: "TestViewStateRestarts", Points: 2, Doc: docA + "#step-5-restarts"},
	{Part: "A", Package: "viewservice", Name: "TestViewRestartedPrimaryTreatedAsDead", Points: 2, Doc: docA + "#step-5-restarts"},

	// Step 6: idle servers.
	{Part: "A", Package: "viewservice", Name: "TestViewStateIdleServers", Points: 2, Doc: docA + "#step-6-idle-servers"},
	{Part: "A", Package: "viewservice", Name: "TestViewIdleThirdServerBecomesBackup", Points: 2, Doc: docA + "#step-6-idle-servers"},
	{Part: "A", Package: "viewservice", Name: "TestViewDeadBackupWaitsForAck", Points: 1, Doc: docA + "#step-6-idle-servers"},

	// Step 7: all the rules together.
	{Part: "A", Package: "viewservice", Name: "TestViewAllStepsInSequence", Points: 2, Doc: docA + "#step-7-all-the-rules-together"},
}

// docA is Part A's guide.
const docA = "docs/part-a-viewservice.md"
