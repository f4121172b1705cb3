package cases

import (
	"testing"

	"pblab/internal/labtest"
)

func TestMain(m *testing.M) { labtest.Main(m) }
