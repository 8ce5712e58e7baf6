package schema

import (
	"entgo.io/ent"

	"orderdesk/auth"
	"orderdesk/auth/rule"
)

// Who may read and write what. The domain services check each action's own
// permission (order:void, refund:execute, …) before they write; these
// policies are the floor every query and write stands on.

func (User) Policy() ent.Policy {
	return rule.Guard{Read: auth.UserRead, Write: auth.UserManage}.Policy()
}
func (RefreshToken) Policy() ent.Policy   { return rule.Guard{Internal: true}.Policy() }
func (IdempotencyKey) Policy() ent.Policy { return rule.Guard{Internal: true}.Policy() }
func (Sequence) Policy() ent.Policy       { return rule.Guard{Internal: true}.Policy() }

func (Customer) Policy() ent.Policy {
	return rule.Guard{Read: auth.CustomerRead, Own: rule.CustomerOwned}.Policy()
}

func (StockItem) Policy() ent.Policy { return rule.Guard{Read: auth.StockRead}.Policy() }
func (StockMovement) Policy() ent.Policy {
	// Movements of another rep's orders are not shown to a rep: their order
	// ids and reasons would tell whom the company sells what.
	return rule.Guard{Read: auth.StockRead, AppendOnly: true, Own: rule.UnlessOtherOrder}.Policy()
}

func (Order) Policy() ent.Policy {
	return rule.Guard{Read: auth.OrderRead, Own: rule.ViaCustomer}.Policy()
}
func (OrderLine) Policy() ent.Policy {
	return rule.Guard{Read: auth.OrderRead, Own: rule.ViaOrder}.Policy()
}
func (Shipment) Policy() ent.Policy {
	return rule.Guard{Read: auth.OrderRead, Own: rule.ViaOrder}.Policy()
}
func (ShipmentLine) Policy() ent.Policy {
	return rule.Guard{Read: auth.OrderRead, Own: rule.Via("shipment", rule.ViaOrder)}.Policy()
}
func (CancellationRecord) Policy() ent.Policy {
	return rule.Guard{Read: auth.OrderRead, Own: rule.ViaOrder}.Policy()
}
func (ReturnOrder) Policy() ent.Policy {
	return rule.Guard{Read: auth.OrderRead, Own: rule.ViaOrder}.Policy()
}
func (ReturnLine) Policy() ent.Policy {
	return rule.Guard{Read: auth.OrderRead, Own: rule.Via("return_order", rule.ViaOrder)}.Policy()
}
func (OrderCorrection) Policy() ent.Policy {
	return rule.Guard{Read: auth.OrderRead, Own: rule.ViaOrder}.Policy()
}

func (Payment) Policy() ent.Policy {
	return rule.Guard{Read: auth.PaymentRead, Own: rule.ViaOrder}.Policy()
}
func (LedgerEntry) Policy() ent.Policy {
	return rule.Guard{Read: auth.PaymentRead, Own: rule.ViaOrder, AppendOnly: true}.Policy()
}

func (Complaint) Policy() ent.Policy {
	return rule.Guard{Read: auth.ComplaintRead, Own: rule.ViaCustomer}.Policy()
}

// Notices to customers are read by whoever reads the contact log, and
// written only by the order's actions and the notice sender.
func (CustomerNotice) Policy() ent.Policy {
	return rule.Guard{Read: auth.ContactRead, Own: rule.ViaCustomer}.Policy()
}

func (Contact) Policy() ent.Policy {
	return rule.Guard{Read: auth.ContactRead, Own: rule.ViaCustomer}.Policy()
}

func (AuditEvent) Policy() ent.Policy { return rule.AuditPolicy() }

// The outbox is the relay's; endpoints and deliveries are managed by
// administrators and integrators; API keys by user managers.
func (OutboxEvent) Policy() ent.Policy     { return rule.Guard{Internal: true}.Policy() }
func (WebhookInterest) Policy() ent.Policy { return rule.Guard{Internal: true}.Policy() }
func (WebhookEndpoint) Policy() ent.Policy {
	return rule.Guard{Read: auth.WebhookManage, Write: auth.WebhookManage}.Policy()
}
func (WebhookDelivery) Policy() ent.Policy {
	return rule.Guard{Read: auth.WebhookManage, Write: auth.WebhookManage}.Policy()
}
func (APIKey) Policy() ent.Policy {
	return rule.Guard{Read: auth.UserManage, Write: auth.UserManage}.Policy()
}

func (Notification) Policy() ent.Policy {
	return rule.Guard{Mine: rule.Recipient}.Policy()
}
