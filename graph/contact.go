package graph

import (
	"entgo.io/contrib/entgql"

	"orderdesk/contact"
	"orderdesk/ent"
	"orderdesk/graph/model"
)

// contactFilter is the contact log's filter of the API's.
func contactFilter(f *model.ContactsFilter) contact.Filter {
	if f == nil {
		return contact.Filter{}
	}
	return contact.Filter{CustomerID: f.CustomerID, OrderID: f.OrderID, AssigneeID: f.AssigneeID,
		OpenFollowUpsOnly: flag(f.OpenFollowUpsOnly), DueBefore: f.DueBefore}
}

// newestFirst is the contacts' order: as asked, else newest first.
func newestFirst(o *ent.ContactOrder) *ent.ContactOrder {
	if o != nil {
		return o
	}
	return &ent.ContactOrder{Direction: entgql.OrderDirectionDesc, Field: ent.ContactOrderFieldCreatedAt}
}
