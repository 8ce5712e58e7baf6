package example_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"orderdesk/app/apptest"
	"orderdesk/demo"
)

// node finds node and npm, or skips the test (fails it under
// ORDERDESK_REQUIRE_NODE=1, as CI sets).
func node(t *testing.T) {
	t.Helper()
	for _, name := range []string{"node", "npm"} {
		if _, err := exec.LookPath(name); err != nil {
			if os.Getenv("ORDERDESK_REQUIRE_NODE") == "1" {
				t.Fatalf("%s not found (Debian: apt-get install nodejs npm)", name)
			}
			t.Skipf("%s not found; set ORDERDESK_REQUIRE_NODE=1 to require it", name)
		}
	}
}

func sh(t *testing.T, ctx context.Context, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out.String())
	}
	return out.String()
}

// generated reads the client preset's output.
func generated(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("src/gql/*.ts")
	if err != nil || len(files) == 0 {
		t.Fatalf("no generated files in src/gql: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	return out
}

// TestExample: the TypeScript client's typed documents are what
// graphql-codegen makes of the published schema now, it compiles under
// strict tsc, and run against a server with the demo data it signs in,
// lists, previews and asks for a cancellation, and its subscription
// receives the cancellation's events.
func TestExample(t *testing.T) {
	node(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := os.Stat("node_modules"); err != nil {
		sh(t, ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	}
	before := generated(t)
	sh(t, ctx, "npm", "run", "--silent", "codegen")
	for f, b := range generated(t) {
		if !bytes.Equal(before[f], b) {
			t.Errorf("%s is not what graphql-codegen makes of schema.graphql now: run npm run codegen in examples/ts and commit it", f)
		}
	}
	sh(t, ctx, "npx", "tsc")

	env := apptest.New(t)
	if err := demo.Seed(env.Sys, env.App, io.Discard); err != nil {
		t.Fatal(err)
	}
	out := sh(t, ctx, "node", "dist/main.js", env.URL+"/graphql", "manager@demo.local", demo.Password)
	t.Log("\n" + out)
	want := regexp.MustCompile(`(?s)^\d+ confirmed orders\n.*dry run for (SO-\S+): executes at once: true, refund 0\.00 EUR, status after: CANCELLED\n` +
		`cancellation of (SO-\S+): EXECUTED, order CANCELLED\ntimeline events: .*order\.cancelled`)
	if m := want.FindStringSubmatch(out); m == nil || m[1] != m[2] {
		t.Fatalf("the example printed:\n%s", out)
	}
}
