package app

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
)

// testKey is a fixed event key pair so tickets in tests are stable.
func testKey(seed byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return priv.Public().(ed25519.PublicKey), priv
}

const testAttendee = "abcdefghijklmnopqrstuvwxyz"

func TestSignAndVerifyTicket(t *testing.T) {
	pub, priv := testKey(1)
	otherPub, otherPriv := testKey(2)
	text := SignTicket(priv, "cn-hu-2021", testAttendee)

	t.Run("Shape", func(t *testing.T) {
		if !strings.HasPrefix(text, "HC1.cn-hu-2021."+testAttendee+".") {
			t.Fatalf("ticket %q: unexpected prefix", text)
		}
		if got, want := len(text), len("HC1.cn-hu-2021.")+26+1+86; got != want {
			t.Fatalf("ticket length: got %d, want %d", got, want)
		}
		if strings.Contains(text, "=") {
			t.Fatalf("ticket %q has padding", text)
		}
	})
	t.Run("Valid", func(t *testing.T) {
		tk, err := ParseTicket(text)
		if err != nil {
			t.Fatal(err)
		}
		if tk.Version != TicketVersion || tk.Event != "cn-hu-2021" || tk.Attendee != testAttendee || len(tk.Sig) != 64 {
			t.Fatalf("parsed %+v", tk)
		}
		if !VerifyTicket(pub, tk) {
			t.Fatal("genuine ticket does not verify")
		}
		if tk.String() != text {
			t.Fatalf("String: got %q, want %q", tk.String(), text)
		}
	})
	t.Run("SurroundingSpaceTrimmed", func(t *testing.T) {
		tk, err := ParseTicket(" \t" + text + "\r\n")
		if err != nil || !VerifyTicket(pub, tk) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("OtherKey", func(t *testing.T) {
		tk, _ := ParseTicket(text)
		if VerifyTicket(otherPub, tk) {
			t.Fatal("ticket verifies with another event's key")
		}
		forged := SignTicket(otherPriv, "cn-hu-2021", testAttendee)
		tk, err := ParseTicket(forged)
		if err != nil {
			t.Fatal(err)
		}
		if VerifyTicket(pub, tk) {
			t.Fatal("ticket signed by another key verifies")
		}
	})
	t.Run("FlippedSignatureBit", func(t *testing.T) {
		tk, _ := ParseTicket(text)
		for i := range tk.Sig {
			bad := tk
			bad.Sig = append([]byte(nil), tk.Sig...)
			bad.Sig[i] ^= 0x01
			if VerifyTicket(pub, bad) {
				t.Fatalf("signature with byte %d flipped verifies", i)
			}
		}
	})
	t.Run("ChangedAttendee", func(t *testing.T) {
		tk, _ := ParseTicket(text)
		tk.Attendee = "bbcdefghijklmnopqrstuvwxyz"
		if VerifyTicket(pub, tk) {
			t.Fatal("ticket with another attendee id verifies")
		}
	})
	t.Run("ChangedEvent", func(t *testing.T) {
		tk, _ := ParseTicket(text)
		tk.Event = "cn-hu-2022"
		if VerifyTicket(pub, tk) {
			t.Fatal("ticket moved to another event verifies")
		}
	})
	t.Run("BadKeys", func(t *testing.T) {
		tk, _ := ParseTicket(text)
		if VerifyTicket(nil, tk) || VerifyTicket(pub[:31], tk) {
			t.Fatal("a short key verifies")
		}
		tk.Sig = tk.Sig[:63]
		if VerifyTicket(pub, tk) {
			t.Fatal("a short signature verifies")
		}
	})
}

func TestParseTicketRejects(t *testing.T) {
	_, priv := testKey(1)
	good := SignTicket(priv, "cn-hu-2021", testAttendee)
	sig := good[strings.LastIndexByte(good, '.')+1:]
	cases := map[string]string{
		"Empty":            "",
		"Spaces":           "   ",
		"Truncated":        good[:len(good)-1],
		"TruncatedHalf":    good[:len(good)/2],
		"NoSignature":      "HC1.cn-hu-2021." + testAttendee,
		"EmptySignature":   "HC1.cn-hu-2021." + testAttendee + ".",
		"ExtraPart":        good + ".x",
		"ExtraChar":        good + "A",
		"WrongVersion":     "HC2" + good[3:],
		"LowerVersion":     "hc1" + good[3:],
		"BadSlug":          "HC1.CN-HU." + testAttendee + "." + sig,
		"SlugEndsInHyphen": "HC1.cn-hu-." + testAttendee + "." + sig,
		"ShortAttendee":    "HC1.cn-hu-2021.abc." + sig,
		"UpperAttendee":    "HC1.cn-hu-2021." + strings.ToUpper(testAttendee) + "." + sig,
		"DigitsAttendee":   "HC1.cn-hu-2021.0123456789abcdefghijklmnop." + sig,
		"PaddedSignature":  good + "==",
		"StdBase64Char":    "HC1.cn-hu-2021." + testAttendee + "." + sig[:85] + "+",
		"InnerSpace":       "HC1.cn-hu-2021. " + testAttendee + "." + sig,
		"TooLong":          good + strings.Repeat("A", 300),
		"NonCanonicalSig":  "HC1.cn-hu-2021." + testAttendee + "." + sig[:85] + nonCanonical(sig[85]),
		"NewlineInSig":     "HC1.cn-hu-2021." + testAttendee + "." + sig[:40] + "\n" + sig[41:],
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			tk, err := ParseTicket(text)
			if err == nil {
				t.Fatalf("ParseTicket(%q) = %+v, want an error", text, tk)
			}
			if ErrorCode(err) != EInvalid {
				t.Fatalf("code %q, want %q", ErrorCode(err), EInvalid)
			}
		})
	}
}

// nonCanonical returns another character that decodes to the same last
// byte as c when the unused low bits are ignored (the last of 86 base64
// characters carries 2 bits of the signature and 4 spare ones).
func nonCanonical(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return string(alphabet[i^1])
}

func TestValidAttendeeID(t *testing.T) {
	for id, want := range map[string]bool{
		testAttendee:                  true,
		"22222222222222222222222222":  true,
		"abcdefghijklmnopqrstuvwxy":   false,
		"abcdefghijklmnopqrstuvwxyz2": false,
		"abcdefghijklmnopqrstuvwxy1":  false,
		"abcdefghijklmnopqrstuvwxyZ":  false,
		"":                            false,
		"given-id":                    false,
	} {
		if got := ValidAttendeeID(id); got != want {
			t.Errorf("ValidAttendeeID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestParsePublicKey(t *testing.T) {
	pub, _ := testKey(3)
	got, err := ParsePublicKey(base64.StdEncoding.EncodeToString(pub))
	if err != nil || !bytes.Equal(got, pub) {
		t.Fatalf("got %x, %v", got, err)
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(pub[:31])} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) accepted", bad)
		}
	}
}

// FuzzParseTicket: ParseTicket never panics, and whatever it accepts
// re-serialises to exactly the trimmed input, passes the shape checks
// again and verifies only when genuine.
func FuzzParseTicket(f *testing.F) {
	pub, priv := testKey(1)
	good := SignTicket(priv, "cn-hu-2021", testAttendee)
	f.Add(good)
	f.Add(" " + good + "\n")
	f.Add(good[:len(good)-1])
	f.Add(good + "A")
	f.Add("HC1.a." + testAttendee + "." + strings.Repeat("A", 86))
	f.Add("HC1....")
	f.Add("")
	f.Add(strings.Repeat(".", 400))
	f.Add("HC1.cn-hu-2021." + testAttendee + "." + strings.Repeat("_", 85) + "w")
	f.Fuzz(func(t *testing.T, s string) {
		tk, err := ParseTicket(s)
		if err != nil {
			if ErrorCode(err) != EInvalid {
				t.Fatalf("error code %q", ErrorCode(err))
			}
			return
		}
		if got, want := tk.String(), strings.TrimSpace(s); got != want {
			t.Fatalf("accepted %q but it serialises to %q", want, got)
		}
		if tk.Version != TicketVersion || !ValidSlug(tk.Event) || !ValidAttendeeID(tk.Attendee) || len(tk.Sig) != ed25519.SignatureSize {
			t.Fatalf("accepted a ticket of the wrong shape: %+v", tk)
		}
		if len(strings.TrimSpace(s)) > MaxTicketLen {
			t.Fatalf("accepted %d bytes", len(strings.TrimSpace(s)))
		}
		again, err := ParseTicket(tk.String())
		if err != nil || again.String() != tk.String() {
			t.Fatalf("re-parse of %q: %v", tk.String(), err)
		}
		if VerifyTicket(pub, tk) && tk.String() != good {
			t.Fatalf("a ticket other than the genuine one verifies: %q", tk.String())
		}
	})
}
