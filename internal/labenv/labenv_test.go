package labenv

// These tests read files and environment variables only: no server, network
// or clock, so they do not run in the test harness (which imports this
// package).

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestModuleRootFindsTheLab(t *testing.T) {
	root, err := ModuleRoot(".")
	require.NoError(t, err, "the test runs inside the pblab module")
	assert.FileExists(t, filepath.Join(root, "go.mod"))
	assert.DirExists(t, filepath.Join(root, "labrpc"), "the module root is the lab's top folder")

	sub, err := ModuleRoot(filepath.Join(root, "pbservice"))
	require.NoError(t, err)
	assert.Equal(t, root, sub, "a package folder's module root is the lab's top folder")
	assert.Equal(t, "./internal/labenv", PackageDir("."), "PackageDir names the package as go test takes it")
	assert.Equal(t, ".", PackageDir(root), "the root itself is \".\"")
}

func TestModuleRootRefusesOtherModules(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/other\n\ngo 1.26\n"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "pkg"), 0o755))
	_, err := ModuleRoot(filepath.Join(dir, "pkg"))
	require.Error(t, err, "the nearest go.mod declares another module")
	assert.Contains(t, err.Error(), "is not the pblab module")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module \"pblab\"\n"), 0o644))
	root, err := ModuleRoot(filepath.Join(dir, "pkg"))
	require.NoError(t, err, "a quoted module path is still pblab")
	assert.Equal(t, dir, root)
}

func TestEnvironmentSwitches(t *testing.T) {
	t.Setenv(RealtimeEnv, "1")
	assert.True(t, Realtime(), "PBLAB_REALTIME=1 turns the wall clock on")
	t.Setenv(RealtimeEnv, "0")
	assert.False(t, Realtime())
	t.Setenv(RealtimeEnv, "yes please")
	assert.False(t, Realtime(), "a value that is not a boolean leaves virtual time on")

	t.Setenv(StallTimeoutEnv, "3s")
	assert.Equal(t, 3*time.Second, StallTimeout())
	t.Setenv(StallTimeoutEnv, "-3s")
	assert.Equal(t, DefaultStallTimeout, StallTimeout(), "a negative timeout is ignored")
	t.Setenv(StallTimeoutEnv, "soon")
	assert.Equal(t, DefaultStallTimeout, StallTimeout(), "a timeout that is not a duration is ignored")

	t.Setenv(ArtifactDirEnv, "/somewhere")
	assert.Equal(t, "/somewhere", ArtifactDir())
}

func TestArtifactDirIsTheUsersOwn(t *testing.T) {
	t.Setenv(ArtifactDirEnv, "")
	dir := ArtifactDir()
	assert.Equal(t, os.TempDir(), filepath.Dir(dir), "by default, artifacts go to a folder in the system's temporary folder")
	base := filepath.Base(dir)
	require.True(t, strings.HasPrefix(base, "pblab-"), "the folder is pblab-<user>, one per user of the machine: got %s", base)
	assert.Equal(t, base, fileSafe(base), "the user's part of the folder's name holds only characters safe in a file name")
	assert.Equal(t, dir, ArtifactDir(), "the same user gets the same folder every time")
}

func TestFileSafe(t *testing.T) {
	for name, want := range map[string]string{
		"ana":          "ana",
		"ana.b-c_d":    "ana.b-c_d",
		`CORP\ana`:     "CORP_ana",
		"ana/../../x":  "ana_.._.._x",
		"名字":           "__",
		"":             "",
		"..":           "",
		"Ana Lovelace": "Ana_Lovelace",
	} {
		assert.Equal(t, want, fileSafe(name), "fileSafe(%q): a user's name becomes part of a folder's name", name)
	}
}
