package notice

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP sends notices through a mail server.
type SMTP struct {
	from string
	opts []gomail.Option
	host string
}

// ParseSMTP reads ORDERDESK_SMTP_URL:
//
//	smtp://[user:password@]host[:port]?from=orders@example.com[&tls=starttls|opportunistic|none]
//	smtps://[user:password@]host[:port]?from=...
//
// smtp:// requires STARTTLS unless tls says otherwise (port 587 by
// default); smtps:// speaks TLS from the start (port 465).
func ParseSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("mail server URL: %w", err)
	}
	q := u.Query()
	from, err := mail.ParseAddress(q.Get("from"))
	if err != nil {
		return nil, fmt.Errorf("mail server URL: from=%q is not an address: %v", q.Get("from"), err)
	}
	s := &SMTP{from: from.String(), host: u.Hostname()}
	if s.host == "" {
		return nil, errors.New("mail server URL: no host")
	}
	port := 0
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("mail server URL: port %q", p)
		}
	}
	switch u.Scheme {
	case "smtps":
		s.opts = append(s.opts, gomail.WithSSL())
		if port == 0 {
			port = 465
		}
	case "smtp":
		policy := map[string]gomail.TLSPolicy{"": gomail.TLSMandatory, "starttls": gomail.TLSMandatory,
			"opportunistic": gomail.TLSOpportunistic, "none": gomail.NoTLS}
		p, ok := policy[q.Get("tls")]
		if !ok {
			return nil, fmt.Errorf("mail server URL: tls=%q (starttls, opportunistic or none)", q.Get("tls"))
		}
		s.opts = append(s.opts, gomail.WithTLSPolicy(p))
		if port == 0 {
			port = 587
		}
	default:
		return nil, fmt.Errorf("mail server URL: scheme %q (smtp or smtps)", u.Scheme)
	}
	s.opts = append(s.opts, gomail.WithPort(port), gomail.WithTimeout(30*time.Second))
	if u.User != nil {
		pw, _ := u.User.Password()
		s.opts = append(s.opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pw))
	}
	return s, nil
}

// Send delivers m. The mail server's refusal of it for good (a 5xx reply)
// is a PermanentError; anything else (no connection, a 4xx reply) is
// worth another attempt.
func (s *SMTP) Send(ctx context.Context, m Mail) error {
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return err
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return err
	}
	if err := msg.To(m.To); err != nil {
		return &PermanentError{err}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID)
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	err = c.DialAndSendWithContext(ctx, msg)
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() >= 500 {
		return &PermanentError{err}
	}
	return err
}
