package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

var errNotYet = errors.New("store: postgres: not implemented yet")

var _ store.Engine = (*Store)(nil)

func (s *Store) CreateFlag(ctx context.Context, in store.NewFlag) (store.Flag, error) {
	return store.Flag{}, errNotYet
}
func (s *Store) AgentFlags(ctx context.Context, q store.AgentFlagsQuery) ([]store.Flag, error) {
	return nil, errNotYet
}
func (s *Store) CountAgentFlags(ctx context.Context, q store.AgentFlagsQuery) (int, error) {
	return 0, errNotYet
}
func (s *Store) LockFlag(ctx context.Context, id int64, agent string, lease time.Duration) (store.Flag, error) {
	return store.Flag{}, errNotYet
}
func (s *Store) UnlockFlag(ctx context.Context, id int64, agent string, force bool) (store.Flag, error) {
	return store.Flag{}, errNotYet
}
func (s *Store) CompleteFlag(ctx context.Context, id int64, agent, notes string) (store.Flag, error) {
	return store.Flag{}, errNotYet
}
func (s *Store) ListFlags(ctx context.Context, q store.ListQuery) ([]store.Flag, int, error) {
	return nil, 0, errNotYet
}
func (s *Store) GetFlag(ctx context.Context, id int64) (store.FlagDetail, error) {
	return store.FlagDetail{}, errNotYet
}
func (s *Store) Board(ctx context.Context, q store.BoardQuery) (store.BoardSummary, error) {
	return store.BoardSummary{}, errNotYet
}
func (s *Store) CreateToken(ctx context.Context, in store.NewToken) (store.Token, error) {
	return store.Token{}, errNotYet
}
func (s *Store) Tokens(ctx context.Context) ([]store.Token, error) { return nil, errNotYet }
func (s *Store) RevokeToken(ctx context.Context, id string) (store.Token, error) {
	return store.Token{}, errNotYet
}
func (s *Store) Authenticate(ctx context.Context, token string) (auth.Principal, error) {
	return auth.Principal{}, errNotYet
}
func (s *Store) TouchToken(ctx context.Context, id string) error { return errNotYet }
