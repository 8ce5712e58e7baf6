// Package customer keeps the customer master data: who buys, where to ship
// and bill, how much credit they have, and which sales rep owns them.
package customer

import (
	"context"
	"slices"
	"strings"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	entcustomer "orderdesk/ent/customer"
	"orderdesk/ent/user"
	"orderdesk/fault"
	"orderdesk/idem"
	"orderdesk/money"
	"orderdesk/notice"
	"orderdesk/postal"
	"orderdesk/store"
)

// Service is the customer service.
type Service struct {
	client   *ent.Client
	currency string
}

// New returns the service; currency is the default for new customers.
func New(client *ent.Client, currency string) *Service {
	return &Service{client: client, currency: currency}
}

// Fields are the editable fields; nil means "not given".
type Fields struct {
	Name, ContactName, Email, Phone *string
	Language                        *string // a tag of notice.Languages; "" is the server's default
	BillingAddress, ShippingAddress *postal.Address
	CreditLimit                     *string
	OwnerID                         *int
}

// NewRequest creates a customer.
type NewRequest struct {
	Fields
	Currency       string
	IdempotencyKey string `json:"-"`
}

// UpdateRequest changes a customer seen at ExpectedVersion.
type UpdateRequest struct {
	Fields
	ID              int
	ExpectedVersion int64
}

// Create adds a customer. Needs customer:write, and customer:credit:write to
// give credit. A sales rep's new customers are their own.
func (s *Service) Create(ctx context.Context, r NewRequest) (*ent.Customer, error) {
	v, err := auth.Require(ctx, auth.CustomerWrite)
	if err != nil {
		return nil, err
	}
	cur := strings.ToUpper(strings.TrimSpace(r.Currency))
	if cur == "" {
		cur = s.currency
	}
	var errs fault.List
	if !money.ValidCurrency(cur) {
		errs.Add(fault.Invalid, "input.currency", "must be an ISO 4217 currency code, e.g. EUR or CNY")
	}
	if r.Name == nil {
		errs.Add(fault.Invalid, "input.name", "is required")
	}
	if v.OwnCustomersOnly() && r.OwnerID == nil {
		id := v.UserID
		r.OwnerID = &id
	}
	return idem.Run(ctx, s.client, "createCustomer", r.IdempotencyKey, r, customerCodec, func(ctx context.Context, tx *ent.Tx) (*ent.Customer, error) {
		errs := slices.Clone(errs) // a rerun of the transaction starts from the input's own errors
		m := tx.Customer.Create().SetCurrency(cur)
		after, err := s.apply(ctx, tx, v, &errs, r.Fields, cur, m.Mutation())
		if err != nil {
			return nil, err
		}
		if err := errs.Err(); err != nil {
			return nil, err
		}
		c, err := m.Save(ctx)
		if err != nil {
			return nil, err
		}
		return c, audit.Record(ctx, tx, audit.Event{Action: "customer.created", SubjectType: "Customer",
			SubjectID: c.ID, After: after})
	})
}

// customerCodec remembers a new customer under an idempotency key.
var customerCodec = idem.Codec[*ent.Customer]{
	Refs: func(c *ent.Customer) idem.Refs { return idem.Refs{"customer": c.ID} },
	Load: func(ctx context.Context, tx *ent.Tx, refs idem.Refs) (*ent.Customer, error) {
		return tx.Customer.Get(ctx, refs["customer"])
	},
	Unwrap: (*ent.Customer).Unwrap,
}

// Update changes a customer. Needs customer:write for contact data and owner,
// customer:credit:write for the credit limit. Fails with VERSION_CONFLICT
// when the customer changed since ExpectedVersion.
func (s *Service) Update(ctx context.Context, r UpdateRequest) (*ent.Customer, error) {
	v, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	// Finance may change the credit limit alone; anything else, an update
	// that changes nothing included, needs customer:write.
	onlyCredit := r.CreditLimit != nil && r.Fields == Fields{CreditLimit: r.CreditLimit}
	if onlyCredit {
		if _, err := auth.Require(ctx, auth.CustomerCreditEdit); err != nil {
			return nil, err
		}
	} else if _, err := auth.Require(ctx, auth.CustomerWrite); err != nil {
		return nil, err
	}
	var c *ent.Customer
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		cur, err := tx.Customer.Query().Where(entcustomer.ID(r.ID)).Modify(store.ForUpdate).Only(ctx)
		if ent.IsNotFound(err) {
			return fault.New(fault.NotFound, "input.id", "no such customer")
		}
		if err != nil {
			return err
		}
		if cur.Version != r.ExpectedVersion {
			return fault.New(fault.VersionConflict, "input.expectedVersion",
				"the customer was changed meanwhile (version %d, you sent %d)", cur.Version, r.ExpectedVersion)
		}
		var errs fault.List
		upd := tx.Customer.UpdateOne(cur).AddVersion(1)
		after, err := s.apply(ctx, tx, v, &errs, r.Fields, cur.Currency, upd.Mutation())
		if err != nil {
			return err
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if c, err = upd.Save(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "customer.updated", SubjectType: "Customer",
			SubjectID: c.ID, Before: snapshot(cur, after), After: after})
	})
	if err != nil {
		return nil, err
	}
	return c.Unwrap(), nil
}

// apply validates the given fields into the mutation and returns them as the
// audit record's "after".
func (s *Service) apply(ctx context.Context, tx *ent.Tx, v *auth.Viewer, errs *fault.List, f Fields, currency string, m *ent.CustomerMutation) (map[string]any, error) {
	after := map[string]any{}
	if f.Name != nil {
		after["name"] = errs.Text("input.name", *f.Name, 200, true)
		m.SetName(after["name"].(string))
	}
	if f.ContactName != nil {
		after["contactName"] = errs.Text("input.contactName", *f.ContactName, 200, false)
		m.SetContactName(after["contactName"].(string))
	}
	if f.Email != nil {
		e := errs.Email("input.email", *f.Email)
		after["email"] = e
		m.SetEmail(e)
	}
	if f.Language != nil {
		lang, ok := notice.Language(*f.Language)
		if !ok && strings.TrimSpace(*f.Language) != "" {
			errs.Add(fault.Invalid, "input.language", "notices are written in %s", strings.Join(notice.Languages, " and "))
		}
		after["language"] = lang
		m.SetLanguage(lang)
	}
	if f.Phone != nil {
		after["phone"] = errs.Text("input.phone", *f.Phone, 50, false)
		m.SetPhone(after["phone"].(string))
	}
	for field, a := range map[string]*postal.Address{"billingAddress": f.BillingAddress, "shippingAddress": f.ShippingAddress} {
		if a == nil {
			continue
		}
		for k, msg := range a.Problems() {
			errs.Add(fault.Invalid, "input."+field+"."+k, "%s", msg)
		}
		after[field] = *a
		if field == "billingAddress" {
			m.SetBillingAddress(a)
		} else {
			m.SetShippingAddress(a)
		}
	}
	if f.CreditLimit != nil {
		if !v.Can(auth.CustomerCreditEdit) {
			errs.Add(fault.NotAllowed, "input.creditLimit", "your role may not set credit limits (needs %s)", auth.CustomerCreditEdit)
		}
		limit, err := money.Parse(*f.CreditLimit, currency)
		switch {
		case err != nil:
			errs.Add(fault.Invalid, "input.creditLimit", "%s", err.Error())
		case limit < 0:
			errs.Add(fault.Invalid, "input.creditLimit", "must not be negative")
		}
		after["creditLimit"] = money.Format(limit, currency)
		m.SetCreditLimitMinor(limit)
	}
	if f.OwnerID != nil {
		if err := checkOwner(ctx, tx, v, errs, *f.OwnerID); err != nil {
			return nil, err
		}
		after["ownerId"] = *f.OwnerID
		m.SetOwnerID(*f.OwnerID)
	}
	return after, nil
}

// checkOwner: a customer is owned by an active sales rep or manager, and a
// sales rep can only own customers themselves.
func checkOwner(ctx context.Context, tx *ent.Tx, v *auth.Viewer, errs *fault.List, ownerID int) error {
	if v.OwnCustomersOnly() && ownerID != v.UserID {
		errs.Add(fault.NotAllowed, "input.ownerId", "a sales rep can only own customers themselves")
		return nil
	}
	ok, err := tx.User.Query().Where(user.ID(ownerID), user.Active(true),
		user.RoleIn(user.RoleSALES_REP, user.RoleSALES_MANAGER)).Exist(ctx)
	if err != nil {
		return err
	}
	if !ok {
		errs.Add(fault.Invalid, "input.ownerId", "must be an active sales rep or sales manager")
	}
	return nil
}

// snapshot is the customer's values of the keys in changed, for the audit
// record's "before".
func snapshot(c *ent.Customer, changed map[string]any) map[string]any {
	all := map[string]any{
		"name": c.Name, "contactName": c.ContactName, "email": c.Email, "phone": c.Phone,
		"billingAddress": c.BillingAddress, "shippingAddress": c.ShippingAddress,
		"creditLimit": money.Format(c.CreditLimitMinor, c.Currency), "ownerId": c.OwnerID,
	}
	before := map[string]any{}
	for k := range changed {
		before[k] = all[k]
	}
	return before
}

// CreditLimit is the customer's credit limit, for viewers who may see
// credit data (warehouse staff may not).
func CreditLimit(ctx context.Context, c *ent.Customer) (money.Money, error) {
	if _, err := auth.Require(ctx, auth.CustomerCreditRead); err != nil {
		return money.Money{}, err
	}
	return money.Of(c.CreditLimitMinor, c.Currency), nil
}
