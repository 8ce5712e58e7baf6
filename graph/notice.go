package graph

import (
	"context"
	"errors"

	"orderdesk/ent"
	"orderdesk/ent/privacy"
)

// visibleNode is the record id names, or nil when there is none or the
// viewer may not see it: a notice or contact about a record is shown even
// to those who may not read the record itself.
func visibleNode(ctx context.Context, c *ent.Client, id *int) (ent.Noder, error) {
	if id == nil {
		return nil, nil
	}
	n, err := c.Noder(ctx, *id)
	if ent.IsNotFound(err) || errors.Is(err, privacy.Deny) {
		return nil, nil
	}
	return n, err
}
