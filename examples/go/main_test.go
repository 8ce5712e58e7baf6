package main

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"

	"orderdesk/app/apptest"
	"orderdesk/demo"
)

// TestExample runs the example against a server with the demo data: the
// generated client signs in, lists, previews and cancels, and the dry run
// changed nothing (one cancellation is recorded, the one asked for).
func TestExample(t *testing.T) {
	env := apptest.New(t)
	if err := demo.Seed(env.Sys, env.App, io.Discard); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n, err := env.DB.Client.CancellationRecord.Query().Count(env.Sys)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	var out strings.Builder
	if err := run(context.Background(), env.URL+"/graphql", "manager@demo.local", demo.Password, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	want := regexp.MustCompile(`(?s)^\d+ confirmed orders\n.*dry run for (SO-\S+): executes at once: true, refund 0\.00 EUR, status after: CANCELLED\n` +
		`cancellation of (SO-\S+): EXECUTED, order CANCELLED\n$`)
	m := want.FindStringSubmatch(out.String())
	if m == nil || m[1] != m[2] {
		t.Fatalf("the example printed:\n%s", out.String())
	}
	if after := count(); after != before+1 {
		t.Fatalf("%d cancellations before the example, %d after: want the one asked for", before, after)
	}
}
