// Command hydra is ORY Hydra's own main package, built through a wrapper
// module so the Go module proxy can supply it (integration/README.md,
// "Hydra: the recipe"). It is a test tool, never part of gatehouse.
package main

import (
	"github.com/ory/hydra/v2/cmd"
	"github.com/ory/x/profilex"
)

func main() {
	defer profilex.Profile().Stop()
	cmd.Execute()
}
