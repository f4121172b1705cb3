package explore

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestViewEventsRoundTrip(t *testing.T) {
	text := "s1 pings 0, tick, s2 pings 3, 5 ticks"
	events, err := ParseViewEvents(text)
	require.NoError(t, err)
	assert.Equal(t, []ViewEvent{Ping("s1", 0), Ticks(1), Ping("s2", 3), Ticks(5)}, events)
	assert.Equal(t, text, FormatViewEvents(events), "a sequence is written as the state tests write it")
}

func TestViewEventsBadInput(t *testing.T) {
	for _, bad := range []string{"s1 pongs 0", "tock", "0 ticks", "s1 pings -1", "s1 pings"} {
		_, err := ParseViewEvents(bad)
		assert.Error(t, err, "%q is not an event", bad)
	}
}
