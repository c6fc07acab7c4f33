// note-verify checks Custody's checkpoints with Go's own signed-note implementation
// (golang.org/x/mod/sumdb/note) and Go's Merkle tree code (golang.org/x/mod/sumdb/tlog), so the
// consent log's formats are tested against an implementation that shares no code with Custody's.
//
//	note-verify -vkey <log vkey> [-vkey ...] [-witness <cosigner vkey> ...] < checkpoint
//	note-verify ... -inclusion proof.json < checkpoint   (also checks an inclusion proof from the API)
//	note-verify ... -tiles <prefix URL> -record N < checkpoint
//	    (reads the C2SP tlog-tiles API with tlog.TileHashReader, which checks every tile it reads
//	    against the checkpoint's root, and proves record N from its entry bundle; a bearer token
//	    for the API is taken from NOTE_VERIFY_TOKEN)
//
// It prints one JSON object: the checkpoint's origin, size and root, the log keys that verified
// (by note.Open) and the witnesses whose cosignature/v1 verified. Exit status 0 when the note
// verifies, 1 when it does not, 2 for bad usage.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

type result struct {
	Origin     string   `json:"origin"`
	TreeSize   int64    `json:"treeSize"`
	RootHash   string   `json:"rootHash"`
	LogKeys    []string `json:"logKeys"`
	Witnesses  []string `json:"witnesses"`
	Inclusion  string   `json:"inclusion,omitempty"`
	Tiles      string   `json:"tiles,omitempty"`
	Unverified int      `json:"unverifiedSignatures"`
}

func fail(code int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "note-verify: "+format+"\n", args...)
	os.Exit(code)
}

func main() {
	var vkeys, witnesses list
	flag.Var(&vkeys, "vkey", "a log verifier key (repeatable)")
	flag.Var(&witnesses, "witness", "a witness cosignature/v1 verifier key (repeatable)")
	inclusion := flag.String("inclusion", "", "an inclusion proof (GET .../proofs/inclusion) to check against the checkpoint")
	tiles := flag.String("tiles", "", "the tlog-tiles prefix URL to read tiles from")
	record := flag.Int64("record", -1, "with -tiles: the record to prove from the tiles")
	flag.Parse()
	if len(vkeys) == 0 {
		fail(2, "at least one -vkey is required")
	}
	msg, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(2, "reading the checkpoint: %v", err)
	}
	var verifiers []note.Verifier
	for _, k := range vkeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			fail(2, "log key %q: %v", k, err)
		}
		verifiers = append(verifiers, v)
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		fail(1, "%v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fail(1, "not a checkpoint: %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || strconv.FormatInt(size, 10) != lines[1] {
		fail(1, "bad tree size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail(1, "bad root hash %q", lines[2])
	}
	out := result{Origin: lines[0], TreeSize: size, RootHash: root.String(), LogKeys: []string{}, Witnesses: []string{}, Unverified: len(n.UnverifiedSigs)}
	for _, s := range n.Sigs {
		out.LogKeys = append(out.LogKeys, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
	}
	for _, w := range witnesses {
		ts, err := checkCosignature(n, w)
		if err != nil {
			fail(1, "witness %q: %v", w, err)
		}
		out.Witnesses = append(out.Witnesses, fmt.Sprintf("%s@%d", strings.SplitN(w, "+", 2)[0], ts))
	}
	if *inclusion != "" {
		if err := checkInclusion(*inclusion, size, root); err != nil {
			fail(1, "inclusion proof: %v", err)
		}
		out.Inclusion = "ok"
	}
	if *tiles != "" {
		if err := checkTiles(*tiles, os.Getenv("NOTE_VERIFY_TOKEN"), size, root, *record); err != nil {
			fail(1, "tiles: %v", err)
		}
		out.Tiles = "ok"
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}

// checkCosignature verifies a C2SP tlog-cosignature cosignature/v1 line among the note's
// unverified signatures (Go's note package does not know type 0x04 keys, so it leaves them there):
// key id = SHA-256(name || "\n" || 0x04 || key)[:4]; blob = id || uint64 timestamp || Ed25519
// signature over "cosignature/v1\ntime <ts>\n" || checkpoint text.
func checkCosignature(n *note.Note, vkey string) (uint64, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return 0, errors.New("not a verifier key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		return 0, errors.New("not an Ed25519 cosignature/v1 key")
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	id := binary.BigEndian.Uint32(h[:4])
	if fmt.Sprintf("%08x", id) != parts[1] {
		return 0, errors.New("key id does not match")
	}
	for _, s := range n.UnverifiedSigs {
		if s.Name != parts[0] || s.Hash != id {
			continue
		}
		blob, err := base64.StdEncoding.DecodeString(s.Base64)
		if err != nil || len(blob) != 4+8+64 {
			return 0, errors.New("malformed cosignature")
		}
		ts := binary.BigEndian.Uint64(blob[4:12])
		msg := []byte(fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, n.Text))
		if !ed25519.Verify(ed25519.PublicKey(raw[1:]), msg, blob[12:]) {
			return 0, errors.New("cosignature does not verify")
		}
		return ts, nil
	}
	return 0, errors.New("no cosignature by this witness")
}

type inclusionProof struct {
	LeafIndex int64           `json:"leafIndex"`
	TreeSize  int64           `json:"treeSize"`
	LeafHash  string          `json:"leafHash"`
	AuditPath []string        `json:"auditPath"`
	Entry     json.RawMessage `json:"entry"`
}

// checkInclusion checks an inclusion proof from the consent API with tlog.CheckRecord. The API's
// audit path is RFC 6962 PATH order, which is also tlog's RecordProof order.
func checkInclusion(file string, size int64, root tlog.Hash) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var p inclusionProof
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&p); err != nil {
		return err
	}
	if p.TreeSize != size {
		return fmt.Errorf("proof is for size %d, checkpoint is %d", p.TreeSize, size)
	}
	leaf, err := tlog.ParseHash(p.LeafHash)
	if err != nil {
		return err
	}
	if len(p.Entry) > 0 && tlog.RecordHash(p.Entry) != leaf {
		return errors.New("the entry does not hash to the leaf hash")
	}
	var proof tlog.RecordProof
	for _, h := range p.AuditPath {
		x, err := tlog.ParseHash(h)
		if err != nil {
			return err
		}
		proof = append(proof, x)
	}
	return tlog.CheckRecord(proof, size, root, p.LeafIndex, leaf)
}

// tileReader reads C2SP tlog-tiles paths. Go's sumdb paths carry the tile height after "tile/"
// ("tile/8/0/x001/234.p/7"); C2SP fixes the height at 8 and leaves it out ("tile/0/x001/234.p/7").
type tileReader struct {
	prefix, token string
}

func (r tileReader) Height() int { return 8 }

func (r tileReader) get(path string) ([]byte, error) {
	req, err := http.NewRequest("GET", strings.TrimSuffix(r.prefix, "/")+"/"+path, nil)
	if err != nil {
		return nil, err
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", path, res.Status)
	}
	return body, nil
}

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := r.get("tile/" + strings.TrimPrefix(t.Path(), "tile/8/"))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// checkTiles recomputes the tree hash from tiles (each tile is verified against the root by
// TileHashReader) and proves one record, whose bytes come from its entry bundle.
func checkTiles(prefix, token string, size int64, root tlog.Hash, record int64) error {
	reader := tileReader{prefix: prefix, token: token}
	hashes := tlog.TileHashReader(tlog.Tree{N: size, Hash: root}, reader)
	th, err := tlog.TreeHash(size, hashes)
	if err != nil {
		return err
	}
	if th != root {
		return errors.New("the tiles do not hash to the checkpoint's root")
	}
	if record < 0 {
		return nil
	}
	if record >= size {
		return fmt.Errorf("record %d is not in a tree of size %d", record, size)
	}
	n := record / 256
	w := size - n*256
	if w > 256 {
		w = 256
	}
	bundlePath := tlog.Tile{H: 8, L: 0, N: n, W: int(w)}.Path()
	bundle, err := reader.get("tile/entries/" + strings.TrimPrefix(bundlePath, "tile/8/0/"))
	if err != nil {
		return err
	}
	var entry []byte
	for i, rest := int64(0), bundle; i <= record-n*256; i++ {
		if len(rest) < 2 {
			return errors.New("entry bundle is truncated")
		}
		l := int(binary.BigEndian.Uint16(rest))
		if len(rest) < 2+l {
			return errors.New("entry bundle is truncated")
		}
		entry, rest = rest[2:2+l], rest[2+l:]
	}
	proof, err := tlog.ProveRecord(size, record, hashes)
	if err != nil {
		return err
	}
	return tlog.CheckRecord(proof, size, root, record, tlog.RecordHash(entry))
}
