package rubric

// ExplorationName is the name of each part's exploration row.
const ExplorationName = "exploration"

// Exploration is the instructor's option go run ./grading -explore DURATION:
// each part gets a row of its own, worth these points, earned if the
// explorer (go run ./grading explore, docs/explore.md) finds nothing that
// breaks the part's rules in that time. Without the option there are no
// such rows, and the lab's 100 points stay as they are; with it, the
// maximum grows by the points of the parts explored.
var Exploration = []Test{
	{Part: "A", Package: "viewservice", Name: ExplorationName, Points: 5, Doc: "docs/explore.md"},
	{Part: "B", Package: "pbservice", Name: ExplorationName, Points: 10, Doc: "docs/explore.md"},
}
