package demo

import (
	"context"
	"fmt"
	"time"

	"orderdesk/account"
	"orderdesk/aftersales"
	"orderdesk/app"
	"orderdesk/auth"
	"orderdesk/contact"
	"orderdesk/ent"
	entcustomer "orderdesk/ent/customer"
	"orderdesk/ent/orderline"
	"orderdesk/ent/stockitem"
	"orderdesk/ent/user"
	"orderdesk/order"
)

// seedOrders walks demo orders through their lives as the demo staff would,
// so that every state and a few failures are there to look at.
func seedOrders(ctx context.Context, s *app.App) error {
	as := func(email string) (context.Context, error) {
		u, err := s.DB.Client.User.Query().Where(user.Email(email)).Only(ctx)
		if err != nil {
			return nil, err
		}
		return auth.NewContext(ctx, account.ViewerOf(u)), nil
	}
	rep, err := as("rep1@demo.local")
	if err != nil {
		return err
	}
	manager, _ := as("manager@demo.local")
	finance, _ := as("finance@demo.local")
	warehouse, _ := as("warehouse@demo.local")

	acme, err := s.DB.Client.Customer.Query().Where(entcustomer.Name("Acme Tools GmbH")).Only(ctx)
	if err != nil {
		return err
	}
	items := map[string]int{}
	for _, it := range s.DB.Client.StockItem.Query().Where(stockitem.Active(true)).AllX(ctx) {
		items[it.Sku] = it.ID
	}
	create := func(lines ...order.LineRequest) (*ent.Order, error) {
		res, err := s.Orders.Create(rep, order.CreateRequest{CustomerID: acme.ID, Channel: "SALES_REP", Lines: lines})
		if err != nil {
			return nil, err
		}
		return res.Order, nil
	}
	line := func(sku string, q int) order.LineRequest {
		return order.LineRequest{StockItemID: items[sku], Quantity: q}
	}
	confirmed := func(lines ...order.LineRequest) (*ent.Order, error) {
		o, err := create(lines...)
		if err != nil {
			return nil, err
		}
		if _, err := s.Orders.Submit(rep, order.TransitionRequest{OrderID: o.ID}); err != nil {
			return nil, err
		}
		res, err := s.Orders.Confirm(manager, order.ConfirmRequest{OrderID: o.ID})
		if err != nil {
			return nil, err
		}
		return res.Order, nil
	}
	pay := func(o *ent.Order, method string) error {
		_, err := s.Orders.RecordPayment(finance, order.RecordPaymentRequest{OrderID: o.ID,
			Amount: fmt.Sprintf("%d.%02d", o.TotalMinor/100, o.TotalMinor%100), Method: method})
		return err
	}

	steps := []func() error{
		func() error { _, err := create(line("DRL-100", 1), line("BIT-SET", 2)); return err }, // DRAFT
		func() error { // PENDING_REVIEW
			o, err := create(line("SAW-220", 2))
			if err == nil {
				_, err = s.Orders.Submit(rep, order.TransitionRequest{OrderID: o.ID})
			}
			return err
		},
		func() error { // CONFIRMED, unpaid; seed 004: entered with the wrong price, corrected with the customer's consent
			o, err := confirmed(line("GLV-M", 20), line("BIT-SET", 5))
			if err != nil {
				return err
			}
			lines := s.DB.Client.OrderLine.Query().Where(orderline.OrderID(o.ID)).Order(orderline.ByPosition()).AllX(ctx)
			id := o.ID
			call, err := s.Contacts.Log(rep, contact.LogRequest{CustomerID: acme.ID, OrderID: &id, Channel: "PHONE",
				Direction: "OUTBOUND", Summary: "Called about the glove price on the order",
				Outcome: "Agreed: 4.50 a pair, as in the framework contract (征得客户同意)"})
			if err != nil {
				return err
			}
			price := "4.50"
			_, err = s.Orders.Correct(rep, order.CorrectRequest{OrderID: o.ID, ExpectedVersion: o.Version,
				ErrorType: "PRICE", Cause: "ENTRY_ERROR", Note: "gloves entered at the list price, not the agreed one",
				Lines:             []order.CorrectionLine{{OrderLineID: lines[0].ID, UnitPrice: &price}},
				CustomerConfirmed: true, CustomerConfirmationNote: "agreed by phone", CustomerContactID: &call.ID})
			return err
		},
		func() error { // SHIPPED, paid; delayed in transit, a drill comes back, the customer complains
			o, err := confirmed(line("DRL-100", 2))
			if err == nil {
				err = pay(o, "BANK_TRANSFER")
			}
			var shipped *order.Result
			if err == nil {
				shipped, err = s.Orders.Ship(warehouse, order.ShipRequest{OrderID: o.ID, Carrier: "DHL", TrackingNumber: "JD0146000012345"})
			}
			if err == nil {
				_, err = s.Orders.ReportShipmentException(warehouse, order.ExceptionRequest{ShipmentID: shipped.Shipment.ID,
					Status: "DELAYED", Note: "held at the depot by the carrier"})
			}
			if err == nil {
				lines := s.DB.Client.OrderLine.Query().Where(orderline.OrderID(o.ID)).AllX(ctx)
				_, err = s.Orders.CreateReturn(rep, order.CreateReturnRequest{OrderID: o.ID, Note: "one drill stops after a minute",
					Lines: []order.ReturnLineRequest{{OrderLineID: lines[0].ID, Quantity: 1, Reason: "DEFECTIVE"}}})
			}
			if err == nil {
				id := o.ID
				var c *ent.Complaint
				c, err = s.Complaints.File(rep, aftersales.FileRequest{CustomerID: acme.ID, OrderID: &id, Category: "DELIVERY",
					Severity: "HIGH", Subject: "Drills arrived late", Description: "The site crew waited two days for the drills."})
				if err == nil {
					// 联系客户沟通, and a follow-up once the replacement drill is there.
					followUp := time.Now().Add(48 * time.Hour)
					_, err = s.Contacts.Log(rep, contact.LogRequest{CustomerID: acme.ID, OrderID: &id, SubjectID: &c.ID,
						Channel: "PHONE", Direction: "INBOUND", Summary: "Site manager called about the late drills",
						Outcome: "Apologised; a replacement drill goes out with the return", FollowUpAt: &followUp})
				}
			}
			return err
		},
		func() error { // COMPLETED
			o, err := confirmed(line("GLV-M", 50))
			if err == nil {
				err = pay(o, "CARD")
			}
			if err == nil {
				_, err = s.Orders.Ship(warehouse, order.ShipRequest{OrderID: o.ID, Carrier: "UPS"})
			}
			if err == nil {
				_, err = s.Orders.IssueInvoice(finance, order.IssueInvoiceRequest{OrderID: o.ID})
			}
			if err == nil {
				_, err = s.Orders.MarkDelivered(warehouse, order.TransitionRequest{OrderID: o.ID})
			}
			if err == nil {
				_, err = s.Orders.Complete(manager, order.TransitionRequest{OrderID: o.ID})
			}
			return err
		},
		func() error { // seed 000: card payment fails, cancelled and re-created
			o, err := confirmed(line("SAW-220", 1))
			if err != nil {
				return err
			}
			res, err := s.Orders.RecordPayment(finance, order.RecordPaymentRequest{OrderID: o.ID,
				Amount: "189.50", Method: "CARD", Pending: true, Reference: "auth-7781"})
			if err == nil {
				_, err = s.Orders.FailPayment(finance, order.PaymentActionRequest{PaymentID: res.Payment.ID, Reason: "card declined"})
			}
			if err == nil {
				_, err = s.Orders.RequestCancellation(rep, order.CancelRequest{OrderID: o.ID, ReasonCode: "PAYMENT_FAILED",
					Note: "card declined; customer will pay by transfer", Resolution: "REORDER"})
			}
			return err
		},
		func() error { // seed 001: a paid order entered twice is voided
			o, err := confirmed(line("LDR-3", 1))
			if err == nil {
				err = pay(o, "CARD")
			}
			if err == nil {
				_, err = s.Orders.Void(manager, order.CancelRequest{OrderID: o.ID, ReasonCode: "DUPLICATE_ORDER", Note: "entered twice"})
			}
			return err
		},
		func() error { // a paid order whose cancellation waits for approval
			o, err := confirmed(line("BIT-SET", 3))
			if err == nil {
				err = pay(o, "CARD")
			}
			if err == nil {
				_, err = s.Orders.RequestCancellation(rep, order.CancelRequest{OrderID: o.ID, ReasonCode: "CUSTOMER_REQUEST",
					Note: "customer ordered the wrong set", Resolution: "REFUND"})
			}
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("demo order %d: %w", i+1, err)
		}
	}
	return nil
}
