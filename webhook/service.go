// Package webhook sends integrators the business events that committed,
// as signed HTTP messages (Standard Webhooks): endpoints and their
// secrets, the deliveries of each event and the relay that makes them.
package webhook

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/privacy"
	"orderdesk/ent/webhookdelivery"
	"orderdesk/ent/webhookendpoint"
	"orderdesk/fault"
	"orderdesk/outbox"
	"orderdesk/store"
)

// Service manages endpoints and their deliveries. Every action needs
// webhook:manage (administrators and integrators).
type Service struct {
	client    *ent.Client
	addresses Addresses
	Now       func() time.Time
}

// NewService returns the service; a lets endpoints point at the ranges it
// lists besides public addresses.
func NewService(client *ent.Client, a Addresses) *Service {
	return &Service{client: client, addresses: a, Now: time.Now}
}

// Takes reports whether an endpoint subscribed to types (none: all)
// takes events of type t. A type is an event's name (order.cancelled) or
// a family (order.*).
func Takes(types []string, t string) bool {
	return len(types) == 0 || outbox.Matches(types, t)
}

var eventTypePattern = regexp.MustCompile(`^[a-z_]+\.([a-z_]+|\*)$`)

// EndpointRequest creates or changes an endpoint; nil fields stay as they
// are on a change.
type EndpointRequest struct {
	ID          int
	URL         *string
	EventTypes  []string
	SetTypes    bool
	Description *string
	Active      *bool
}

func (s *Service) check(r *EndpointRequest) error {
	var errs fault.List
	if r.URL != nil {
		u := errs.Text("input.url", *r.URL, 2000, true)
		if problem := s.addresses.CheckURL(u); u != "" && problem != "" {
			errs.Add(fault.Invalid, "input.url", "%s", problem)
		}
		r.URL = &u
	}
	if r.Description != nil {
		d := errs.Text("input.description", *r.Description, 500, false)
		r.Description = &d
	}
	for _, t := range r.EventTypes {
		if !eventTypePattern.MatchString(t) || !outbox.Published(strings.TrimSuffix(t, "*")) {
			errs.Add(fault.Invalid, "input.eventTypes", "%q is not an event type: name one (order.cancelled) or a family (%s*)",
				t, strings.Join(outbox.Families(), "*, "))
		}
	}
	slices.Sort(r.EventTypes)
	r.EventTypes = slices.Compact(r.EventTypes)
	return errs.Err()
}

// Create adds an endpoint with a fresh secret, which it returns: the only
// time the API shows it.
func (s *Service) Create(ctx context.Context, r EndpointRequest) (*ent.WebhookEndpoint, string, error) {
	v, err := auth.Require(ctx, auth.WebhookManage)
	if err != nil {
		return nil, "", err
	}
	if r.URL == nil {
		r.URL = new(string)
	}
	if err := s.check(&r); err != nil {
		return nil, "", err
	}
	secret := NewSecret()
	var ep *ent.WebhookEndpoint
	err = s.change(ctx, func(ctx context.Context, tx *ent.Tx) error {
		c := tx.WebhookEndpoint.Create().SetURL(*r.URL).SetEventTypes(r.EventTypes).SetSecret(secret).
			SetNillableCreatedByID(v.ActorID())
		if r.Description != nil {
			c.SetDescription(*r.Description)
		}
		if ep, err = c.Save(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "webhook.created", SubjectType: "WebhookEndpoint",
			SubjectID: ep.ID, After: map[string]any{"url": ep.URL, "eventTypes": ep.EventTypes}})
	})
	return unwrap(ep, err), secret, err
}

// Update changes an endpoint's URL, types, description or activity.
func (s *Service) Update(ctx context.Context, r EndpointRequest) (*ent.WebhookEndpoint, error) {
	if _, err := auth.Require(ctx, auth.WebhookManage); err != nil {
		return nil, err
	}
	if err := s.check(&r); err != nil {
		return nil, err
	}
	var ep *ent.WebhookEndpoint
	err := s.change(ctx, func(ctx context.Context, tx *ent.Tx) error {
		before, err := s.endpoint(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		u := tx.WebhookEndpoint.UpdateOne(before).AddVersion(1).SetNillableURL(r.URL).
			SetNillableDescription(r.Description).SetNillableActive(r.Active)
		if r.SetTypes {
			u.SetEventTypes(r.EventTypes)
		}
		if r.Active != nil && *r.Active {
			u.SetConsecutiveFailures(0).ClearFlaggedAt() // switched on again: a fresh start
		}
		if ep, err = u.Save(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "webhook.updated", SubjectType: "WebhookEndpoint", SubjectID: ep.ID,
			Before: map[string]any{"url": before.URL, "eventTypes": before.EventTypes, "active": before.Active},
			After:  map[string]any{"url": ep.URL, "eventTypes": ep.EventTypes, "active": ep.Active}})
	})
	return unwrap(ep, err), err
}

// Delete removes an endpoint and its deliveries; what it was sent stays
// in the outbox.
func (s *Service) Delete(ctx context.Context, id int) error {
	if _, err := auth.Require(ctx, auth.WebhookManage); err != nil {
		return err
	}
	return s.change(ctx, func(ctx context.Context, tx *ent.Tx) error {
		ep, err := s.endpoint(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.WebhookDelivery.Delete().Where(webhookdelivery.EndpointID(id)).Exec(ctx); err != nil {
			return err
		}
		if err := tx.WebhookEndpoint.DeleteOne(ep).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "webhook.deleted", SubjectType: "WebhookEndpoint", SubjectID: id,
			Before: map[string]any{"url": ep.URL}})
	})
}

// MaxOverlap bounds how long a rotated-out secret still signs.
const MaxOverlap = 7 * 24 * time.Hour

// Rotate gives an endpoint a new secret, which it returns; the old one
// signs too (a second signature) for overlap, so that the receiver can
// switch without losing a message.
func (s *Service) Rotate(ctx context.Context, id int, overlap time.Duration) (*ent.WebhookEndpoint, string, error) {
	if _, err := auth.Require(ctx, auth.WebhookManage); err != nil {
		return nil, "", err
	}
	if overlap < 0 || overlap > MaxOverlap {
		return nil, "", fault.New(fault.Invalid, "input.overlapHours", "must lie between 0 and %d hours", int(MaxOverlap.Hours()))
	}
	secret := NewSecret()
	var ep *ent.WebhookEndpoint
	err := s.write(ctx, func(ctx context.Context, tx *ent.Tx) error {
		before, err := s.endpoint(ctx, tx, id)
		if err != nil {
			return err
		}
		until := store.Now(ctx).Add(overlap)
		if ep, err = tx.WebhookEndpoint.UpdateOne(before).SetSecret(secret).SetPreviousSecret(before.Secret).
			SetPreviousSecretUntil(until).AddVersion(1).Save(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "webhook.secret_rotated", SubjectType: "WebhookEndpoint",
			SubjectID: id, After: map[string]any{"previousValidUntil": until.Format(time.RFC3339)}})
	})
	return unwrap(ep, err), secret, err
}

// Redeliver queues an event again for the endpoint a delivery went to: a
// new delivery, due now, whatever became of the first.
func (s *Service) Redeliver(ctx context.Context, deliveryID int) (*ent.WebhookDelivery, error) {
	if _, err := auth.Require(ctx, auth.WebhookManage); err != nil {
		return nil, err
	}
	var d *ent.WebhookDelivery
	err := s.write(ctx, func(ctx context.Context, tx *ent.Tx) error {
		first, err := tx.WebhookDelivery.Get(ctx, deliveryID)
		if ent.IsNotFound(err) {
			return fault.New(fault.NotFound, "input.deliveryId", "no such delivery")
		}
		if err != nil {
			return err
		}
		d, err = tx.WebhookDelivery.Create().SetEndpointID(first.EndpointID).SetEventID(first.EventID).
			SetEventType(first.EventType).SetSubjectKey(first.SubjectKey).SetNextAttemptAt(store.Now(ctx)).
			SetRedeliveryOfID(first.ID).Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return d.Unwrap(), nil
}

// Deliveries lists an endpoint's deliveries, of one status when given.
func (s *Service) Deliveries(ctx context.Context, endpointID int, status *webhookdelivery.Status) (*ent.WebhookDeliveryQuery, error) {
	if _, err := auth.Require(ctx, auth.WebhookManage); err != nil {
		return nil, err
	}
	q := s.client.WebhookDelivery.Query().Where(webhookdelivery.EndpointID(endpointID))
	if status != nil {
		q.Where(webhookdelivery.StatusEQ(*status))
	}
	return q, nil
}

// Event reads the event a delivery carries.
func (s *Service) Event(ctx context.Context, d *ent.WebhookDelivery) (*ent.OutboxEvent, error) {
	if _, err := auth.Require(ctx, auth.WebhookManage); err != nil {
		return nil, err
	}
	return s.client.OutboxEvent.Get(auth.NewContext(ctx, auth.System("webhooks")), d.EventID)
}

// unwrap detaches an endpoint written in a transaction that committed, so
// that the API can go on loading its edges.
func unwrap(ep *ent.WebhookEndpoint, err error) *ent.WebhookEndpoint {
	if err != nil || ep == nil {
		return nil
	}
	return ep.Unwrap()
}

func (s *Service) endpoint(ctx context.Context, tx *ent.Tx, id int) (*ent.WebhookEndpoint, error) {
	ep, err := tx.WebhookEndpoint.Query().Where(webhookendpoint.ID(id)).Modify(store.ForUpdate).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "input.id", "no such webhook endpoint")
	}
	return ep, err
}

// write runs fn in a transaction of its own, with its audit events.
func (s *Service) write(ctx context.Context, fn func(ctx context.Context, tx *ent.Tx) error) error {
	return s.run(ctx, false, fn)
}

// change runs a change to what the endpoints take (creating, changing or
// deleting one): under the webhook interest's lock, taken first, and
// stamped with the time after it (see outbox.taken); the interest is then
// made to say what the active endpoints take.
func (s *Service) change(ctx context.Context, fn func(ctx context.Context, tx *ent.Tx) error) error {
	return s.run(ctx, true, fn)
}

func (s *Service) run(ctx context.Context, interest bool, fn func(ctx context.Context, tx *ent.Tx) error) error {
	return store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if interest {
			if err := lockInterest(ctx, tx); err != nil {
				return err
			}
		}
		ctx := audit.Batch(store.WithNow(ctx, s.Now().UTC()))
		if err := fn(ctx, tx); err != nil {
			return err
		}
		if interest {
			if err := keepInterest(ctx, tx); err != nil {
				return err
			}
		}
		return audit.Flush(ctx, tx)
	})
}

// lockInterest locks the webhook interest, making its row when it is
// missing (the migrations insert it).
func lockInterest(ctx context.Context, tx *ent.Tx) error {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	rows, err := tx.WebhookInterest.Query().Modify(store.ForUpdate).All(ctx)
	if err != nil || len(rows) > 0 {
		return err
	}
	return tx.WebhookInterest.Create().SetEveryType(true).Exec(ctx)
}

// keepInterest writes into the interest what the active endpoints take.
func keepInterest(ctx context.Context, tx *ent.Tx) error {
	active, err := tx.WebhookEndpoint.Query().Where(webhookendpoint.Active(true)).
		Select(webhookendpoint.FieldEventTypes).All(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return err
	}
	every, types := false, []string{}
	for _, ep := range active {
		every = every || len(ep.EventTypes) == 0
		types = append(types, ep.EventTypes...)
	}
	slices.Sort(types)
	types = slices.Compact(types)
	return tx.WebhookInterest.Update().SetEveryType(every).SetEventTypes(types).
		Exec(privacy.DecisionContext(ctx, privacy.Allow))
}
