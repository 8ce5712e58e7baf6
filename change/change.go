// Package change holds the small value types that records keep as JSON:
// which quantities of which lines an action touched, and what a field was
// before and after a change.
package change

// LineQuantity is a quantity of one order line, e.g. the part of a line a
// partial cancellation covers.
type LineQuantity struct {
	OrderLineID int `json:"orderLineId"`
	Quantity    int `json:"quantity"`
}

// Field is one field's value before and after a change, as display text.
type Field struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}
