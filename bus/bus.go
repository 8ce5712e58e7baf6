// Package bus carries what commits on one server to the live subscribers
// of every server, through NATS JetStream. The relay publishes the
// committed outbox's live records (package webhook), with the event's id
// as the message id, so a publish repeated after a failure is dropped by
// JetStream's duplicate window; every server reads the stream with an
// ordered consumer from the moment it starts, which resumes where it was
// after a reconnect: no gaps, no repeats.
package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Record names one committed record for live subscribers: a notification
// (Kind "notification") or a timeline event ("event").
type Record struct {
	Kind string `json:"kind"`
	ID   int    `json:"id"`
}

// Bus is a connection to the stream of one deployment.
type Bus struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	stream  jetstream.Stream
	subject string
}

// Connect opens the bus at url for the deployment whose subjects start
// with prefix (e.g. "orderdesk"), creating or updating its stream: kept an
// hour, duplicates dropped within two minutes.
func Connect(ctx context.Context, url, prefix string) (*Bus, error) {
	nc, err := nats.Connect(url, nats.Name("orderdesk"), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS at %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	name := strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(prefix))
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{prefix + ".>"},
		MaxAge: time.Hour, Duplicates: 2 * time.Minute, Storage: jetstream.FileStorage})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("creating the NATS stream %s: %w", name, err)
	}
	return &Bus{nc: nc, js: js, stream: stream, subject: prefix + ".live"}, nil
}

// Close ends the connection.
func (b *Bus) Close() { b.nc.Close() }

// Publish puts r on the bus under message id id, once JetStream has it.
func (b *Bus) Publish(ctx context.Context, id string, r Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = b.js.Publish(ctx, b.subject, data, jetstream.WithMsgID(id))
	return err
}

// Listen hands every record published from now on to deliver, in order,
// until stop is called; it is listening when it returns.
func (b *Bus) Listen(ctx context.Context, deliver func(Record)) (stop func(), err error) {
	c, err := b.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{b.subject}, DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return nil, err
	}
	cc, err := c.Consume(func(m jetstream.Msg) {
		var r Record
		if json.Unmarshal(m.Data(), &r) == nil {
			deliver(r)
		}
	})
	if err != nil {
		return nil, err
	}
	return cc.Stop, nil
}
