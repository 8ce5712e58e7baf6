// Command schema writes the API's schema as one SDL document (graph/sdl):
//
//	go run ./cmd/schema schema.graphql
package main

import (
	"fmt"
	"os"

	"orderdesk/graph/sdl"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: schema <file>")
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], sdl.Print(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
