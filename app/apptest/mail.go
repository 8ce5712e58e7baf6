package apptest

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"orderdesk/notice"
)

// MailServer is an SMTP server on a loopback port that keeps what it is
// sent, for tests of customer notices.
type MailServer struct {
	Addr string
	mu   sync.Mutex
	mail []Mail
	// refuse answers the next messages' DATA with these codes, in turn.
	refuse []int
}

// Mail is one message the server took, decoded.
type Mail struct {
	From, To, MessageID, Subject, Body string
}

// NewMailServer starts a mail server that the test stops.
func NewMailServer(t testing.TB) *MailServer {
	t.Helper()
	m := &MailServer{}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{server: m}, nil }))
	s.Domain, s.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.Addr = ln.Addr().String()
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return m
}

// Mailer is a notice mailer that sends to this server, without TLS.
func (m *MailServer) Mailer(t testing.TB) notice.Mailer {
	t.Helper()
	s, err := notice.ParseSMTP("smtp://" + m.Addr + "?tls=none&from=orders@orderdesk.test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Refuse has the server answer the next messages with these SMTP codes
// (e.g. 451: try again later, 550: never), one per message.
func (m *MailServer) Refuse(codes ...int) {
	m.mu.Lock()
	m.refuse = append(m.refuse, codes...)
	m.mu.Unlock()
}

// Received is what the server took so far, in order.
func (m *MailServer) Received() []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Mail(nil), m.mail...)
}

type session struct {
	server   *MailServer
	from, to string
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := s.server
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.refuse) > 0 {
		code := m.refuse[0]
		m.refuse = m.refuse[1:]
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "refused by the test"}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return err
	}
	var body io.Reader = msg.Body
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(msg.Body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, msg.Body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	m.mail = append(m.mail, Mail{From: s.from, To: s.to, MessageID: msg.Header.Get("Message-Id"),
		Subject: subject, Body: strings.ReplaceAll(string(text), "\r\n", "\n")})
	return nil
}
