package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Addresses decides which addresses endpoints may point at: public
// unicast addresses, and the ranges listed (ORDERDESK_WEBHOOK_ALLOW) —
// loopback, private, link-local and the like are refused unless listed, so
// that an endpoint cannot make the server call into its own network. It is
// checked when an endpoint is saved (for addresses written in the URL) and
// again on every connection (for names, whatever they resolve to then).
type Addresses struct{ Allow []netip.Prefix }

// ParseAddresses reads a comma-separated list of CIDR ranges or single
// addresses.
func ParseAddresses(list string) (Addresses, error) {
	var a Addresses
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			addr, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return Addresses{}, fmt.Errorf("webhook address range %q: %w", s, err)
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		a.Allow = append(a.Allow, p.Masked())
	}
	return a, nil
}

// internal are the ranges that are not the public internet beyond what
// netip's predicates tell: shared address space (RFC 6598), benchmarking,
// and the documentation ranges.
var internal = []netip.Prefix{netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("192.0.0.0/24"), netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("2001:db8::/32")}

// Permits reports whether endpoints may reach addr.
func (a Addresses) Permits(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range a.Allow {
		if p.Contains(addr) {
			return true
		}
	}
	if !addr.IsGlobalUnicast() || addr.IsPrivate() {
		return false
	}
	for _, p := range internal {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// errAddress is a connection refused by Addresses.
var errAddress = errors.New("the endpoint's address is not one webhooks may reach (ORDERDESK_WEBHOOK_ALLOW)")

// CheckURL tells what is wrong with an endpoint's URL, or "": absolute
// http(s) with a host, no credentials, and — when the host is an address —
// a permitted one.
func (a Addresses) CheckURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an http or https URL"
	case u.Hostname() == "":
		return "has no host"
	case u.User != nil:
		return "must not carry credentials; the signature authenticates the messages"
	case u.Fragment != "":
		return "must not have a fragment"
	}
	if addr, err := netip.ParseAddr(u.Hostname()); err == nil && !a.Permits(addr) {
		return "points at an address webhooks may not reach (loopback, private or reserved; see ORDERDESK_WEBHOOK_ALLOW)"
	}
	return ""
}

// client is the HTTP client of deliveries: no proxy, no redirects (a 3xx
// is a failed delivery), the timeout of one attempt, and every connection
// checked against a.
func (a Addresses) client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !a.Permits(ap.Addr()) {
			return errAddress
		}
		return nil
	}}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		}, TLSHandshakeTimeout: timeout, ResponseHeaderTimeout: timeout, MaxIdleConnsPerHost: 4,
			IdleConnTimeout: 90 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
