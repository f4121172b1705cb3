package labtest

import "pblab/internal/labenv"

// Three of labenv's names, for the grader, which reads them from here.
// Everything else uses package labenv.
const (
	// StallMarker is labenv.StallMarker.
	StallMarker = labenv.StallMarker
	// ArtifactDirEnv is labenv.ArtifactDirEnv.
	ArtifactDirEnv = labenv.ArtifactDirEnv
)

// Realtime is labenv.Realtime.
func Realtime() bool { return labenv.Realtime() }
