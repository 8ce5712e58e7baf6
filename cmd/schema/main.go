// Command schema writes the API's schema as one SDL document and as a
// Markdown reference (graph/sdl):
//
//	go run ./cmd/schema schema.graphql docs/schema.md
package main

import (
	"fmt"
	"os"

	"orderdesk/graph/sdl"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: schema <schema.graphql> <reference.md>")
		os.Exit(2)
	}
	for _, out := range []struct {
		path string
		text []byte
	}{{os.Args[1], sdl.Print()}, {os.Args[2], sdl.Reference()}} {
		if err := os.WriteFile(out.path, out.text, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
