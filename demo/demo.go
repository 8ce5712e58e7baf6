// Package demo seeds a database with one user per role, customers owned by
// two sales reps, stock, and orders, all through the domain services, so
// the demo data obeys the same rules as real data.
package demo

import (
	"context"
	"fmt"
	"io"

	"orderdesk/account"
	"orderdesk/app"
	"orderdesk/auth"
	"orderdesk/customer"
	"orderdesk/ent/user"
	"orderdesk/postal"
	"orderdesk/stock"
)

// Password is every demo user's password.
const Password = "demo-password"

// Users are the demo accounts: email → role.
var Users = []struct {
	Email, Name string
	Role        auth.Role
	Scopes      []string
}{
	{"admin@demo.local", "Ada Admin", auth.Admin, nil},
	{"manager@demo.local", "Max Manager", auth.SalesManager, nil},
	{"rep1@demo.local", "Rita Rep", auth.SalesRep, nil},
	{"rep2@demo.local", "Ravi Rep", auth.SalesRep, nil},
	{"finance@demo.local", "Fiona Finance", auth.Finance, nil},
	{"warehouse@demo.local", "Walt Warehouse", auth.Warehouse, nil},
	{"support@demo.local", "Sam Support", auth.Support, nil},
	{"auditor@demo.local", "Aude Auditor", auth.Auditor, nil},
	{"integrator@demo.local", "ERP Integration", auth.Integrator, []string{string(auth.OrderCreate)}},
}

// Seed creates the demo data unless the demo admin exists, and prints the
// logins to out.
func Seed(ctx context.Context, s *app.App, out io.Writer) error {
	ctx = auth.NewContext(ctx, auth.System("demo"))
	exists, err := s.DB.Client.User.Query().Where(user.Email(Users[0].Email)).Exist(ctx)
	if err != nil {
		return err
	}
	if !exists {
		if err := seed(ctx, s); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "Demo logins (password "+Password+"):")
	for _, u := range Users {
		fmt.Fprintf(out, "  %-24s %s\n", u.Email, u.Role)
	}
	return nil
}

func seed(ctx context.Context, s *app.App) error {
	ids := map[string]int{}
	for _, u := range Users {
		created, err := s.Accounts.CreateUser(ctx, account.NewUserRequest{Email: u.Email, Name: u.Name,
			Password: Password, Role: string(u.Role), Scopes: u.Scopes})
		if err != nil {
			return fmt.Errorf("user %s: %w", u.Email, err)
		}
		ids[u.Email] = created.ID
	}
	// Notices to customers are written in their language (zh-CN unless
	// set) and go to their email address once a mail server is configured.
	customers := []struct {
		name, contact, email, language, city, country, credit, owner string
	}{
		{"Acme Tools GmbH", "Anna Berger", "purchasing@acme-tools.example", "en", "Berlin", "DE", "50000.00", "rep1@demo.local"},
		{"Nordwind Handel AG", "王丽", "einkauf@nordwind.example", "zh-CN", "Hamburg", "DE", "20000.00", "rep1@demo.local"},
		{"Blue River Supplies", "", "orders@blueriver.example", "en", "Lyon", "FR", "15000.00", "rep2@demo.local"},
		{"Casa Verde SL", "", "", "", "Madrid", "ES", "5000.00", "rep2@demo.local"},
	}
	for _, c := range customers {
		name, credit, owner := c.name, c.credit, ids[c.owner]
		contact, email, language := c.contact, c.email, c.language
		addr := &postal.Address{Name: c.name, Line1: "1 Market Street", City: c.city, Country: c.country}
		if _, err := s.Customers.Create(ctx, customer.NewRequest{Fields: customer.Fields{
			Name: &name, ContactName: &contact, Email: &email, Language: &language,
			CreditLimit: &credit, OwnerID: &owner, BillingAddress: addr, ShippingAddress: addr,
		}}); err != nil {
			return fmt.Errorf("customer %s: %w", c.name, err)
		}
	}
	items := []struct {
		sku, name, price string
		qty              int
	}{
		{"DRL-100", "Cordless drill 18V", "129.00", 40},
		{"SAW-220", "Circular saw 1400W", "189.50", 15},
		{"BIT-SET", "Drill bit set, 35 pieces", "24.90", 200},
		{"GLV-M", "Work gloves, size M", "6.50", 500},
		{"LDR-3", "Aluminium ladder, 3 steps", "59.00", 3},
	}
	for _, it := range items {
		item, err := s.Stock.CreateItem(ctx, stock.NewItemRequest{SKU: it.sku, Name: it.name, UnitPrice: it.price})
		if err != nil {
			return fmt.Errorf("item %s: %w", it.sku, err)
		}
		if _, _, err := s.Stock.Receive(ctx, stock.ReceiveRequest{ItemID: item.ID, Quantity: it.qty, Note: "opening stock"}); err != nil {
			return fmt.Errorf("receiving %s: %w", it.sku, err)
		}
	}
	return seedOrders(ctx, s)
}
