#!/usr/bin/env python3
"""Write N distinct encrypted appointment pushes, one JSON envelope per line.

Each push is the platform's plaintext example (Tests/Fixtures/Events/plain-example.json) with its own event id and
order number, encrypted as DESIGN.md section 1 describes (WXBizMsgCrypt, JSON mode). Every line starts with
`{"id":"<36-character uuid>",` so the wrk script can give a reused line a new id without parsing it.

    gen_pushes.py --count 100000 --out pushes.jsonl
    gen_pushes.py --self-test

The self-test checks the signature and the cipher against the official vectors before anything is written.
"""

import argparse
import base64
import hashlib
import json
import os
import secrets
import string
import struct
import sys
import time
import uuid

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(REPO, "Tests", "Fixtures", "Events", "plain-example.json")
TOKEN = "thisisatoken"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
RECEIVE_ID = "P00000000023"
ACTION = "MALL_APPOINTMENT_ORDER_CREATE_OPENAPI"
NONCE_ALPHABET = string.ascii_letters + string.digits


def aes_key(encoding_aes_key):
    """The 32-byte AES key of a 43-character EncodingAESKey."""
    key = base64.b64decode(encoding_aes_key + "=")
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes, got %d" % len(key))
    return key


def signature(token, timestamp, nonce, encrypt):
    """Lowercase hex SHA-1 of the four strings sorted bytewise and concatenated."""
    parts = sorted(s.encode() for s in (token, timestamp, nonce, encrypt))
    return hashlib.sha1(b"".join(parts)).hexdigest()


def encrypt(key, message, receive_id, random16=None):
    """Base64 of AES-256-CBC(random16 + len(message) + message + receive_id), PKCS#7 to 32-byte blocks."""
    random16 = random16 if random16 is not None else os.urandom(16)
    plain = random16 + struct.pack(">I", len(message)) + message + receive_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def decrypt(key, ciphertext):
    """(message, receive_id) of a ciphertext; checks every pad byte as the daemon must."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(ciphertext)) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
        raise ValueError("bad padding")
    plain = plain[:-pad]
    (length,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + length], plain[20 + length :].decode()


def self_test():
    """Check the generator against DESIGN.md's official vectors; raise AssertionError on any mismatch."""
    key = aes_key(AES_KEY)
    official = "CZWs4CWRpI4VolQlvn4dlHCxcccOUldh2dM/HUHjz9lmXN+DbNparH5f3mPPDG0EBhuCYhE+vJ5SXkNCcAN7jg=="
    got = signature(TOKEN, "1592552065", "EDH75AiKExevY8L3", official)
    assert got == "fe2c1539b7d56e35bec5e302da15bad2f563b854", "official signature: " + got
    message, receive_id = decrypt(key, official)
    assert message.decode() == '{"Name":"哈哈"}' and receive_id == RECEIVE_ID, (message, receive_id)
    # Same random prefix, same message, same key and IV: our encryption must reproduce the ciphertext exactly.
    random16 = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor().update(base64.b64decode(official))[:16]
    again = encrypt(key, message, receive_id, random16)
    assert again == official, "re-encryption differs: " + again

    wecom = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
    got = signature("QDG6eK", "1409659589", "263014780", wecom)
    assert got == "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "WeCom signature: " + got
    message, receive_id = decrypt(key, wecom)
    assert message == b"1616140317555161061" and receive_id == "wx5823bf96d3bd56c7", (message, receive_id)

    # A message whose padded length lands on a 16-byte but not a 32-byte boundary needs a pad byte above 16.
    for size in range(0, 64):
        body = b"x" * size
        assert decrypt(key, encrypt(key, body, RECEIVE_ID)) == (body, RECEIVE_ID), size
    print("gen_pushes self-test: ok (official vector fe2c1539..., WeCom sample, round trips)", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=0, help="number of pushes to write")
    parser.add_argument("--out", help="output file (one JSON envelope per line)")
    parser.add_argument("--token", default=TOKEN)
    parser.add_argument("--aes-key", default=AES_KEY)
    parser.add_argument("--receive-id", default=RECEIVE_ID)
    parser.add_argument("--template", default=TEMPLATE)
    parser.add_argument("--self-test", action="store_true", help="only run the self-test")
    args = parser.parse_args()

    self_test()
    if args.self_test:
        return
    if args.count <= 0 or not args.out:
        parser.error("--count N and --out FILE are required")

    with open(args.template, encoding="utf-8") as f:
        template = json.load(f)
    body = template.get("body", template.get("data", {}).get("body"))
    key = aes_key(args.aes_key)
    base = int(time.time()) * 1000
    started = time.monotonic()
    with open(args.out + ".tmp", "w", encoding="utf-8") as out:
        for i in range(args.count):
            order_num = "Y%d" % (base + i)
            body["order_num"] = order_num
            body["order"]["order_num"] = order_num
            message = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            cipher = encrypt(key, message, args.receive_id)
            stamp = str(int(time.time()))
            nonce = "".join(secrets.choice(NONCE_ALPHABET) for _ in range(16))
            envelope = {
                "id": str(uuid.uuid4()),
                "event": template.get("event", "CRM_CONTACT"),
                "action": ACTION,
                "body": {
                    "encrypt": cipher,
                    "msgSignature": signature(args.token, stamp, nonce, cipher),
                    "timeStamp": stamp,
                    "nonce": nonce,
                },
            }
            out.write(json.dumps(envelope, separators=(",", ":")))
            out.write("\n")
    os.replace(args.out + ".tmp", args.out)
    print(
        "gen_pushes: wrote %d pushes to %s in %.1f s" % (args.count, args.out, time.monotonic() - started),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
