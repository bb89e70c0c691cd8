package libct_test

import (
	"os"
	"testing"

	"github.com/libct/libct"
)

func TestMain(m *testing.M) {
	registerTestFuncs()
	libct.Init()
	os.Exit(m.Run())
}
