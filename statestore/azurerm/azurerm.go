// Package azurerm keeps a deployment's state in Azure Blob Storage, in the
// storage account Terraform's azurerm backend uses: one blob per name
// under a key prefix, the blob's ETag as the version every write is
// conditional on, append blobs for what is only appended to, and a blob
// lease as each lock. It implements statestore.Storage and passes
// storagetest.Run and RunLeases against Azurite.
package azurerm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/appendblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"

	"github.com/k0flow/k0flow/internal/azname"
	"github.com/k0flow/k0flow/statestore"
)

// Config says where the state lives, with the settings of Terraform's
// azurerm backend. Credentials are never part of it: they come from
// AZURE_STORAGE_CONNECTION_STRING, an account key (ARM_ACCESS_KEY, as
// Terraform reads it), or with UseAzureAD azidentity's default credential
// chain, and are never written anywhere.
type Config struct {
	StorageAccountName string
	ContainerName      string
	KeyPrefix          string
	// Endpoint is the blob service URL; empty means
	// https://ACCOUNT.blob.core.windows.net (Azurite: http://127.0.0.1:PORT/ACCOUNT).
	Endpoint string
	// LeaseDuration is how long a lock lasts unrenewed: 15 to 60 seconds
	// (Azure's bounds); 0 means 60.
	LeaseDuration time.Duration
	// Timeout bounds one try of a request.
	Timeout time.Duration
	// UseAzureAD authenticates with Azure AD (Entra ID) tokens from
	// azidentity's DefaultAzureCredential (environment, workload
	// identity, managed identity, az CLI, azd), as Terraform's
	// use_azuread_auth does, instead of a key; the endpoint must be https.
	UseAzureAD bool
	// Retries is how many times a request that timed out or got a 5xx
	// answer is tried again, with backoff (the SDK's policy); nil means 4.
	Retries *int
}

// Storage is statestore.Storage in a blob container.
type Storage struct {
	statestore.Holdings // the leases this process holds here, for LockLost

	cfg       Config
	container *container.Client

	mu      sync.Mutex
	crashed chan struct{} // closed by SimulateCrash: renewals stop
}

var _ statestore.Storage = (*Storage)(nil)

// ConditionalWritesOnly says every write here is conditional on the ETag:
// the store needs no write lock (a lease a request away) around an update,
// and retries one that loses a race.
func (s *Storage) ConditionalWritesOnly() {}

// New connects to the container (creating it if it does not exist) with
// the credentials of the environment env (KEY=VALUE entries).
func New(ctx context.Context, cfg Config, env []string) (*Storage, error) {
	if cfg.ContainerName == "" {
		return nil, errors.New("azurerm state backend: container_name is required")
	}
	if err := azname.CheckContainer(cfg.ContainerName); err != nil {
		return nil, fmt.Errorf("azurerm state backend: container_name %w", err)
	}
	if err := azname.CheckKeyPrefix(cfg.KeyPrefix); err != nil {
		return nil, fmt.Errorf("azurerm state backend: key_prefix %w", err)
	}
	if cfg.LeaseDuration == 0 {
		cfg.LeaseDuration = 60 * time.Second
	}
	if cfg.LeaseDuration < 15*time.Second || cfg.LeaseDuration > 60*time.Second {
		return nil, fmt.Errorf("azurerm state backend: a lease lasts 15 to 60 seconds, not %s", cfg.LeaseDuration)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	retries := int32(4)
	if cfg.Retries != nil {
		if *cfg.Retries < 0 || *cfg.Retries > 10 {
			return nil, fmt.Errorf("azurerm state backend: retries is 0 to 10, not %d", *cfg.Retries)
		}
		retries = int32(*cfg.Retries)
		if retries == 0 {
			retries = -1 // the SDK's spelling of "none"; 0 is its default
		}
	}
	opts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{
		// The SDK's own retry policy, bounded: timeouts and 5xx are
		// retried with backoff, then the error says which blob.
		Retry: policy.RetryOptions{MaxRetries: retries, TryTimeout: cfg.Timeout, RetryDelay: 200 * time.Millisecond, MaxRetryDelay: 3 * time.Second},
	}}
	getenv := func(name string) string {
		for _, kv := range env {
			if k, v, ok := strings.Cut(kv, "="); ok && k == name {
				return v
			}
		}
		return ""
	}
	var client *container.Client
	var err error
	switch {
	case cfg.UseAzureAD:
		// Chosen explicitly, as Terraform's use_azuread_auth: a key in
		// the environment is then not used.
		if cfg.StorageAccountName == "" && cfg.Endpoint == "" {
			return nil, errors.New("azurerm state backend: storage_account_name (or endpoint) is required with use_azuread")
		}
		if cfg.StorageAccountName == "" {
			if u, perr := url.Parse(cfg.Endpoint); perr == nil {
				cfg.StorageAccountName = accountOf(u)
			}
		}
		cred, cerr := azidentity.NewDefaultAzureCredential(nil)
		if cerr != nil {
			return nil, fmt.Errorf("azurerm state backend: Azure AD credentials: %w", cerr)
		}
		client, err = container.NewClient(containerURL(cfg), cred, opts)
	case getenv("AZURE_STORAGE_CONNECTION_STRING") != "":
		client, err = container.NewClientFromConnectionString(getenv("AZURE_STORAGE_CONNECTION_STRING"), cfg.ContainerName, opts)
		if err == nil && cfg.StorageAccountName == "" {
			if u, perr := url.Parse(client.URL()); perr == nil {
				cfg.StorageAccountName = accountOf(u)
			}
		}
	case getenv("ARM_ACCESS_KEY") != "" || getenv("AZURE_STORAGE_KEY") != "":
		key := getenv("ARM_ACCESS_KEY")
		if key == "" {
			key = getenv("AZURE_STORAGE_KEY")
		}
		if cfg.StorageAccountName == "" {
			return nil, errors.New("azurerm state backend: storage_account_name is required with an account key")
		}
		cred, cerr := container.NewSharedKeyCredential(cfg.StorageAccountName, key)
		if cerr != nil {
			return nil, fmt.Errorf("azurerm state backend: the account key: %w", cerr)
		}
		client, err = container.NewClientWithSharedKeyCredential(containerURL(cfg), cred, opts)
	default:
		return nil, errors.New("azurerm state backend: no credentials: set AZURE_STORAGE_CONNECTION_STRING, or ARM_ACCESS_KEY with storage_account_name, or use_azuread = true (K0FLOW_AZURERM_USE_AZUREAD=true) to sign in with Azure AD (az login, a managed identity, AZURE_CLIENT_ID/AZURE_TENANT_ID/...)")
	}
	if err != nil {
		return nil, fmt.Errorf("azurerm state backend: %w", err)
	}
	s := &Storage{cfg: cfg, container: client, crashed: make(chan struct{})}
	cctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	if _, err := client.Create(cctx, nil); err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return nil, fmt.Errorf("azurerm state backend: %w", s.fail("open container", "", err))
	}
	return s, nil
}

func containerURL(cfg Config) string {
	ep := strings.TrimSuffix(cfg.Endpoint, "/")
	if ep == "" {
		ep = "https://" + cfg.StorageAccountName + ".blob.core.windows.net"
	}
	return ep + "/" + cfg.ContainerName
}

// accountOf is the account a container URL names: the host's first label,
// or for Azurite's path-style URLs, the first path segment.
func accountOf(u *url.URL) string {
	host := u.Hostname()
	if host == "localhost" || net.ParseIP(host) != nil {
		seg, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
		return seg
	}
	first, _, _ := strings.Cut(host, ".")
	return first
}

func (s *Storage) blobName(name string) string {
	if s.cfg.KeyPrefix == "" {
		return name
	}
	return path.Join(s.cfg.KeyPrefix, name)
}

func (s *Storage) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 4*s.cfg.Timeout)
}

// Location implements statestore.Storage.
func (s *Storage) Location(name string) string {
	return "azurerm://" + s.cfg.StorageAccountName + "/" + s.cfg.ContainerName + "/" + s.blobName(name)
}

// fail wraps an error with the blob it concerns and what to do.
func (s *Storage) fail(op, name string, err error) error {
	// The advice comes first: the SDK's error that follows runs to many
	// lines (the request, the answer's body).
	return fmt.Errorf("%s %s (check the storage account's reachability and credentials, then run the command again): %w", op, s.Location(name), err)
}

// Read implements statestore.Storage.
func (s *Storage) Read(name string) ([]byte, string, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.container.NewBlobClient(s.blobName(name)).DownloadStream(ctx, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound) {
		return nil, "", fmt.Errorf("%s: %w", s.Location(name), statestore.ErrNotExist)
	}
	if err != nil {
		return nil, "", s.fail("read", name, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", s.fail("read", name, err)
	}
	return data, etag(resp.ETag), nil
}

func etag(e *azcore.ETag) string {
	if e == nil {
		return ""
	}
	return string(*e)
}

// Write implements statestore.Storage: a conditional Put Blob. A name
// created here (ifVersion "") is an append blob, so that what is created
// once and then appended to (the events) can be; a replacement is a block
// blob, conditional on the ETag.
func (s *Storage) Write(name string, data []byte, ifVersion string) (string, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	if ifVersion == "" {
		ab := s.container.NewAppendBlobClient(s.blobName(name))
		any := azcore.ETagAny
		_, err := ab.Create(ctx, &appendblob.CreateOptions{AccessConditions: &blob.AccessConditions{
			ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: &any}}})
		if bloberror.HasCode(err, bloberror.BlobAlreadyExists, bloberror.ConditionNotMet) {
			return "", fmt.Errorf("write %s: %w", s.Location(name), statestore.ErrVersionMismatch)
		}
		if err != nil {
			return "", s.fail("write", name, err)
		}
		return s.appendBlocks(ctx, name, data)
	}
	opts := &blockblob.UploadOptions{}
	if ifVersion != statestore.AnyVersion {
		e := azcore.ETag(ifVersion)
		opts.AccessConditions = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: &e}}
	}
	resp, err := s.container.NewBlockBlobClient(s.blobName(name)).Upload(ctx, streaming.NopCloser(bytes.NewReader(data)), opts)
	if bloberror.HasCode(err, bloberror.ConditionNotMet, bloberror.BlobNotFound) {
		return "", fmt.Errorf("write %s: %w", s.Location(name), statestore.ErrVersionMismatch)
	}
	if err != nil {
		return "", s.fail("write", name, err)
	}
	return etag(resp.ETag), nil
}

// maxBlock is the largest append block sent at once.
const maxBlock = 4 << 20

func (s *Storage) appendBlocks(ctx context.Context, name string, data []byte) (string, error) {
	ab := s.container.NewAppendBlobClient(s.blobName(name))
	version := ""
	for len(data) > 0 {
		n := min(len(data), maxBlock)
		resp, err := ab.AppendBlock(ctx, streaming.NopCloser(bytes.NewReader(data[:n])), nil)
		if err != nil {
			return "", s.fail("append to", name, err)
		}
		version = etag(resp.ETag)
		data = data[n:]
	}
	if version == "" {
		props, err := ab.GetProperties(ctx, nil)
		if err != nil {
			return "", s.fail("read", name, err)
		}
		version = etag(props.ETag)
	}
	return version, nil
}

// Append implements statestore.Storage with an append blob: each block is
// written whole or not at all. A name that is not an append blob yet (a
// block blob another writer made) cannot be appended to: the error says so.
func (s *Storage) Append(name string, data []byte) error {
	ctx, cancel := s.ctx()
	defer cancel()
	ab := s.container.NewAppendBlobClient(s.blobName(name))
	props, err := ab.GetProperties(ctx, nil)
	switch {
	case bloberror.HasCode(err, bloberror.BlobNotFound):
		any := azcore.ETagAny
		_, err := ab.Create(ctx, &appendblob.CreateOptions{AccessConditions: &blob.AccessConditions{
			ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: &any}}})
		if err != nil && !bloberror.HasCode(err, bloberror.BlobAlreadyExists, bloberror.ConditionNotMet) {
			return s.fail("create", name, err)
		}
	case err != nil:
		return s.fail("read", name, err)
	case props.ContentLength != nil && *props.ContentLength > 0:
		last, err := ab.DownloadStream(ctx, &blob.DownloadStreamOptions{Range: blob.HTTPRange{Offset: *props.ContentLength - 1, Count: 1}})
		if err != nil {
			return s.fail("read", name, err)
		}
		b, err := io.ReadAll(last.Body)
		last.Body.Close()
		if err != nil {
			return s.fail("read", name, err)
		}
		if len(b) == 1 && b[0] != '\n' {
			return fmt.Errorf("%s %w", s.Location(name), statestore.ErrTornTail)
		}
	}
	_, err = s.appendBlocks(ctx, name, data)
	return err
}

// Stream implements statestore.Storage: what is written goes to a local
// spool file as it arrives and to the blob, appended, when it is closed
// (a phase's log, uploaded as the phase ends).
func (s *Storage) Stream(name string) (io.WriteCloser, error) {
	f, err := os.CreateTemp("", "k0flow-spool-*")
	if err != nil {
		return nil, err
	}
	return &spool{s: s, name: name, f: f}, nil
}

type spool struct {
	s    *Storage
	name string
	f    *os.File
}

func (w *spool) Write(p []byte) (int, error) { return w.f.Write(p) }

func (w *spool) Close() error {
	defer os.Remove(w.f.Name())
	defer w.f.Close()
	data, err := os.ReadFile(w.f.Name())
	if err != nil {
		return err
	}
	ctx, cancel := w.s.ctx()
	defer cancel()
	ab := w.s.container.NewAppendBlobClient(w.s.blobName(w.name))
	if _, err := ab.Create(ctx, nil); err != nil && !bloberror.HasCode(err, bloberror.BlobAlreadyExists) {
		return w.s.fail("create", w.name, err)
	}
	_, err = w.s.appendBlocks(ctx, w.name, data)
	return err
}

// List implements statestore.Storage.
func (s *Storage) List(prefix string) ([]string, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	full := s.blobName(prefix)
	if strings.HasSuffix(prefix, "/") && !strings.HasSuffix(full, "/") {
		full += "/"
	}
	root := ""
	if s.cfg.KeyPrefix != "" {
		root = s.cfg.KeyPrefix + "/"
	}
	pager := s.container.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{Prefix: &full})
	var out []string
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, s.fail("list", prefix, err)
		}
		for _, item := range page.Segment.BlobItems {
			if item.Name != nil && !strings.HasPrefix(path.Base(*item.Name), ".lock-") {
				out = append(out, strings.TrimPrefix(*item.Name, root))
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// Move implements statestore.Storage: a copy that must not overwrite,
// then the source removed.
func (s *Storage) Move(from, to string) error {
	data, _, err := s.Read(from)
	if err != nil {
		return err
	}
	if _, err := s.Write(to, data, ""); err != nil {
		if errors.Is(err, statestore.ErrVersionMismatch) {
			return fmt.Errorf("move to %s: %w", s.Location(to), fs.ErrExist)
		}
		return err
	}
	return s.Remove(from)
}

// Remove implements statestore.Storage.
func (s *Storage) Remove(name string) error {
	ctx, cancel := s.ctx()
	defer cancel()
	_, err := s.container.NewBlobClient(s.blobName(name)).Delete(ctx, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.BlobNotFound) {
		return s.fail("remove", name, err)
	}
	return nil
}

// lockBlob is where a lock's lease is taken; List leaves it out.
func lockBlob(name string) string { return ".lock-" + name }

// Lock implements statestore.Storage with a blob lease, renewed in the
// background while it is held. The holder is in the lock blob's metadata,
// so a refused process can name it.
func (s *Storage) Lock(ctx context.Context, name string, holder statestore.LockHolder, wait bool) (statestore.Unlocker, error) {
	bb := s.container.NewBlockBlobClient(s.blobName(lockBlob(name)))
	lc, err := lease.NewBlobClient(bb, nil)
	if err != nil {
		return nil, err
	}
	delay := 50 * time.Millisecond
	for {
		rctx, cancel := s.ctx()
		_, err := lc.AcquireLease(rctx, int32(s.cfg.LeaseDuration/time.Second), nil)
		if bloberror.HasCode(err, bloberror.BlobNotFound) {
			any := azcore.ETagAny
			_, cerr := bb.Upload(rctx, streaming.NopCloser(bytes.NewReader(nil)), &blockblob.UploadOptions{AccessConditions: &blob.AccessConditions{
				ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: &any}}})
			cancel()
			if cerr != nil && !bloberror.HasCode(cerr, bloberror.BlobAlreadyExists, bloberror.ConditionNotMet) {
				return nil, s.fail("create the lock", lockBlob(name), cerr)
			}
			continue
		}
		if err == nil {
			leaseID := lc.LeaseID()
			_, merr := bb.SetMetadata(rctx, holderMetadata(holder), &blob.SetMetadataOptions{
				AccessConditions: &blob.AccessConditions{LeaseAccessConditions: &blob.LeaseAccessConditions{LeaseID: leaseID}}})
			cancel()
			if merr != nil {
				_, _ = lc.ReleaseLease(context.Background(), nil)
				return nil, s.fail("record the holder of", lockBlob(name), merr)
			}
			return s.renew(name, holder.ID, lc), nil
		}
		if !bloberror.HasCode(err, bloberror.LeaseAlreadyPresent) {
			cancel()
			return nil, s.fail("lock", lockBlob(name), err)
		}
		h := statestore.LockHolder{}
		if props, perr := bb.GetProperties(rctx, nil); perr == nil {
			h = holderFrom(props.Metadata)
		}
		cancel()
		if !wait {
			return nil, &statestore.LockedError{Lock: name + " lock", Holder: h}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		if delay < time.Second {
			delay *= 2
		}
	}
}

// renew keeps a lease until it is released, or until SimulateCrash. A
// renewal the service refuses because the lease is not this holder's any
// more (broken by force-unlock, or expired and taken) loses it at once;
// renewals that fail otherwise (the account unreachable) lose it once a
// whole lease length has passed without one.
func (s *Storage) renew(name, holderID string, lc *lease.BlobClient) statestore.Unlocker {
	s.mu.Lock()
	crashed := s.crashed
	s.mu.Unlock()
	return s.HoldLease(name, holderID, s.cfg.LeaseDuration, crashed,
		func() error {
			ctx, cancel := s.ctx()
			defer cancel()
			_, err := lc.RenewLease(ctx, nil)
			if bloberror.HasCode(err, bloberror.LeaseIDMismatchWithLeaseOperation, bloberror.LeaseNotPresentWithLeaseOperation,
				bloberror.LeaseLost, bloberror.LeaseIsBrokenAndCannotBeRenewed, bloberror.LeaseIsBreakingAndCannotBeAcquired) {
				return &statestore.LostLeaseError{Err: fmt.Errorf("the lease on %s is no longer this runner's", s.Location(lockBlob(name)))}
			}
			return err
		},
		func() error {
			ctx, cancel := s.ctx()
			defer cancel()
			_, err := lc.ReleaseLease(ctx, nil)
			if err != nil && !bloberror.HasCode(err, bloberror.LeaseIDMismatchWithLeaseOperation, bloberror.LeaseNotPresentWithLeaseOperation) {
				return err
			}
			return nil
		})
}

// SimulateCrash stops every renewal, as the death of the holder would.
func (s *Storage) SimulateCrash() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.crashed)
	s.crashed = make(chan struct{})
}

// LeaseDuration is how long a lock lasts unrenewed.
func (s *Storage) LeaseDuration() time.Duration { return s.cfg.LeaseDuration }

func holderMetadata(h statestore.LockHolder) map[string]*string {
	v := func(s string) *string { e := url.QueryEscape(s); return &e }
	return map[string]*string{
		"pid": v(strconv.Itoa(h.PID)), "host": v(h.Host), "user": v(h.User), "operation": v(h.Operation),
		"runid": v(h.RunID), "since": v(h.Since.UTC().Format(time.RFC3339Nano)), "lockid": v(h.ID),
	}
}

func holderFrom(md map[string]*string) statestore.LockHolder {
	get := func(k string) string {
		for key, v := range md {
			if strings.EqualFold(key, k) && v != nil {
				s, _ := url.QueryUnescape(*v)
				return s
			}
		}
		return ""
	}
	h := statestore.LockHolder{Host: get("host"), User: get("user"), Operation: get("operation"), RunID: get("runid"), ID: get("lockid")}
	h.PID, _ = strconv.Atoi(get("pid"))
	h.Since, _ = time.Parse(time.RFC3339Nano, get("since"))
	return h
}

// BreakLock implements statestore.LockBreaker: it breaks the lease of the
// named lock at once, if the holder recorded in the lock blob matches.
func (s *Storage) BreakLock(name string, match func(statestore.LockHolder) bool) (statestore.LockHolder, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	bb := s.container.NewBlockBlobClient(s.blobName(lockBlob(name)))
	props, err := bb.GetProperties(ctx, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound) {
		return statestore.LockHolder{}, statestore.ErrNoLock
	}
	if err != nil {
		return statestore.LockHolder{}, s.fail("read the lock", lockBlob(name), err)
	}
	h := holderFrom(props.Metadata)
	if props.LeaseState == nil || *props.LeaseState != lease.StateTypeLeased || !match(h) {
		return h, statestore.ErrNoLock
	}
	lc, err := lease.NewBlobClient(bb, nil)
	if err != nil {
		return h, err
	}
	zero := int32(0)
	if _, err := lc.BreakLease(ctx, &lease.BlobBreakOptions{BreakPeriod: &zero}); err != nil {
		return h, s.fail("break the lease of", lockBlob(name), err)
	}
	return h, nil
}
