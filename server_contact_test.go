package main

import (
	"io"
	"testing"
	"time"
)

// TestParseConfig_AfterDeliveryFollowUp: the post-delivery follow-up is off
// unless ORDERDESK_AFTER_DELIVERY_FOLLOW_UP (or its flag, which wins) sets
// a duration.
func TestParseConfig_AfterDeliveryFollowUp(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  string
		want time.Duration
	}{
		{name: "OffByDefault"},
		{name: "Env", env: "72h", want: 72 * time.Hour},
		{name: "FlagWins", args: []string{"-after-delivery-follow-up", "24h"}, env: "72h", want: 24 * time.Hour},
	} {
		t.Run(c.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "ORDERDESK_AFTER_DELIVERY_FOLLOW_UP" {
					return c.env
				}
				return ""
			}
			cfg, err := parseConfig(c.args, getenv, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.policy.AfterDeliveryFollowUp != c.want {
				t.Fatalf("after-delivery follow-up %s, want %s", cfg.policy.AfterDeliveryFollowUp, c.want)
			}
		})
	}
}
