package order

import (
	"context"
	"fmt"

	"orderdesk/ent"
	"orderdesk/ent/privacy"
	"orderdesk/ent/sequence"
)

// NextNumber hands out the next document number of a series, such as
// SO-2026-000042. The sequence row is advanced by an UPDATE, which holds its
// row lock until the transaction ends, so concurrent callers get distinct
// numbers and a rolled-back transaction gives its number back.
func NextNumber(ctx context.Context, tx *ent.Tx, prefix string, year int) (string, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	name := fmt.Sprintf("%s-%d", prefix, year)
	// The row is advanced first and created only when missing: an insert
	// that meets an existing row takes a shared lock on it (InnoDB), and
	// concurrent holders of shared locks asking to write deadlock.
	n, err := tx.Sequence.Update().Where(sequence.Name(name)).AddLastValue(1).Save(ctx)
	if err != nil {
		return "", err
	}
	if n == 0 {
		// The series' first number, or a concurrent first caller's row
		// advanced, in one statement: as an insert and a separate
		// increment, TiDB handed out a number twice under concurrency.
		if err := tx.Sequence.Create().SetName(name).SetLastValue(1).
			OnConflictColumns(sequence.FieldName).AddLastValue(1).Exec(ctx); err != nil {
			return "", err
		}
	}
	seq, err := tx.Sequence.Query().Where(sequence.Name(name)).Only(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%06d", name, seq.LastValue), nil
}
