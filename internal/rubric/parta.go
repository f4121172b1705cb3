package rubric

// partA is Part A's rubric: 30 points.
var partA = []Test{}
