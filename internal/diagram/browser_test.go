package diagram

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/labrpc"
)

// chromium returns the path of a Chromium (or Chrome) binary: $PBLAB_CHROMIUM
// if set, else the first of the usual names on the PATH.
func chromium() (string, bool) {
	if p := os.Getenv("PBLAB_CHROMIUM"); p != "" {
		return p, true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// headless runs Chromium headless on a local file with the given extra
// arguments (--dump-dom, --screenshot=...) and returns what it printed on
// standard output. It uses a fresh profile and turns off everything that
// would reach for the network.
func headless(t *testing.T, page string, args ...string) []byte {
	t.Helper()
	bin, ok := chromium()
	if !ok {
		t.Skip("Chromium is not installed, so the diagram's browser check cannot run: " +
			"install Debian's chromium package (apt-get install -y chromium), or set PBLAB_CHROMIUM to a Chromium binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	all := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir(),
	}, args...)
	all = append(all, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, all...)
	var stderr []byte
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = ee.Stderr
	}
	require.NoError(t, err, "running %s: %s", bin, stderr)
	return out
}

// scenarioMarks are the classes of the marks of journalScenario's late and
// repeated requests and its link faults.
var scenarioMarks = []string{"resend late", "resend again", "linkmark cut", "linkmark mend", "linkmark link-delay"}

// TestDiagramRendersInChromium opens generated diagrams in headless
// Chromium and checks that the page's script ran to the end without error
// and drew the expected lanes and calls.
func TestDiagramRendersInChromium(t *testing.T) {
	dir := t.TempDir()
	scenario := journalScenario(t)
	for _, tc := range []struct {
		name     string
		journal  labrpc.Journal
		realtime bool
		lanes    string
		marks    []string // classes of marks the page must draw
	}{
		{"scenario", scenario, false, "vs s1 s2 ck1 test", scenarioMarks},
		{"scenario on the wall clock", scenario, true, "vs s1 s2 ck1 test", scenarioMarks},
		{"full journal", bigJournal(labrpc.JournalLimit), false, "vs s1 s2 ck1 ck2", nil},
		{"empty journal", labrpc.Journal{}, false, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, regexp.MustCompile(`\W`).ReplaceAllString(tc.name, "_")+".html")
			const seed = 7411639672990375851 // more digits than a JavaScript number holds
			info := Info{Test: "TestX", Seed: seed, Failed: true, Realtime: tc.realtime}
			require.NoError(t, WriteFile(path, info, tc.journal, fakeDescription, DefaultMaxEvents))
			dom := string(headless(t, path, "--dump-dom"))
			body := regexp.MustCompile(`<body[^>]*>`).FindString(dom)
			require.NotEmpty(t, body, "Chromium printed the page's DOM:\n%.2000s", dom)
			require.NotContains(t, body, `data-error=`, "the page's script failed: %s", body)
			require.Contains(t, body, `data-render="ok"`, "the page's script ran to its end: %s", body)
			assert.Contains(t, body, `data-lanes="`+tc.lanes+`"`, "one lane per node, in order")
			assert.Contains(t, dom, "seed 7411639672990375851", "the page shows the seed exactly")
			for _, lane := range regexp.MustCompile(`\S+`).FindAllString(tc.lanes, -1) {
				assert.Contains(t, dom, `class="lane-label" data-lane="`+lane+`"`, "lane %q is drawn", lane)
			}
			if tc.lanes != "" {
				drawn := regexp.MustCompile(`data-calls-drawn="(\d+)"`).FindStringSubmatch(body)
				require.NotNil(t, drawn, "the page says how many calls it drew")
				assert.NotEqual(t, "0", drawn[1], "the page drew calls")
				assert.Regexp(t, `<g class="call" data-i="\d+">`, dom, "calls are drawn as SVG groups")
			}
			for _, mark := range tc.marks {
				assert.Contains(t, dom, `class="`+mark+`"`, "the page draws a %q mark", mark)
			}
		})
	}

	t.Run("a call chosen by its address", func(t *testing.T) {
		d := build(Info{}, scenario, fakeDescription, DefaultMaxEvents)
		var id uint64
		for _, c := range d.Calls {
			if c.Outcome == "reply" && strings.Contains(d.Methods[c.Method], "Put") {
				id = c.ID
			}
		}
		require.NotZero(t, id, "the scenario has a Put that replied")
		path := filepath.Join(dir, "chosen.html")
		require.NoError(t, WriteFile(path, Info{Test: "TestX"}, scenario, fakeDescription, DefaultMaxEvents))
		dom := string(headless(t, fmt.Sprintf("%s#call=%d", path, id), "--dump-dom"))
		require.Contains(t, dom, `data-render="ok"`, "the page's script ran to its end")
		assert.Regexp(t, `<g class="call sel" data-i="\d+">`, dom, "the call is selected")
		assert.Contains(t, dom, fmt.Sprintf("<dd>#%d</dd>", id), "the details panel shows the call")
		assert.Contains(t, dom, `<h2>Arguments</h2><pre>{Key:"k" Value:"v"}</pre>`, "the details panel shows the arguments")
		assert.Contains(t, dom, `<h2>Reply</h2><pre>{Err:"OK"}</pre>`, "the details panel shows the reply")
	})
}
