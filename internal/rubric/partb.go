package rubric

// partB is Part B's rubric: 70 points.
var partB = []Test{}
