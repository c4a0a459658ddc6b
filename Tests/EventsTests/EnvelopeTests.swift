import Events
import JSON
import Testing

@Suite struct EnvelopeTests {
    @Test func theReferencePlaintextExampleIsABareEnvelope() throws {
        let envelope = try Envelope.decode(try Fixtures.bytes("plain-example.json"))
        #expect(envelope.id == "995c220f-289b-4f69-a7c6-933db8b0dce3")
        #expect(envelope.event == "CRM_CONTACT")
        #expect(envelope.action == "CRM_CONTACT_CREATE")
        #expect(envelope.body["order_num"] == "Y634089652417560576")
        #expect(envelope.encryptedBody == nil)
    }

    @Test func theReferenceEncryptedExampleCarriesItsEncryptedBody() throws {
        let envelope = try Envelope.decode(try Fixtures.bytes("encrypted-example.json"))
        #expect(envelope.action == "MALL_APPOINTMENT_ORDER_CREATE_OPENAPI")
        let sealed = try #require(envelope.encryptedBody)
        #expect(sealed.msgSignature == "d64cc4a02b22b725a6b50a9843ebf9c0fd7ca70f")
        #expect(sealed.timeStamp == "1661233174")
        #expect(sealed.nonce == "9ZvYhI4aFmR7wUNl")
        #expect(sealed.encrypt.hasPrefix("XOKphmyMEcuW94gYtL/5Nj4"))
    }

    @Test func anEnvelopeWrappedInDataIsUnwrapped() throws {
        let text = #"{"data":{"id":"e1","event":"CRM_CONTACT","action":"X","body":{"user_id":"7"}}}"#
        let envelope = try Envelope.decode(Array(text.utf8))
        #expect(envelope.id == "e1")
        #expect(envelope.action == "X")
        #expect(envelope.body["user_id"] == "7")
    }

    @Test func aNumericIdKeepsItsDigitsAndANumericTimestampItsText() throws {
        let text = #"""
            {"id":634089652327989200123,"event":"E","action":"A",
             "body":{"encrypt":"abc","msgSignature":"s","timeStamp":1661233174000,"nonce":"n"}}
            """#
        let envelope = try Envelope.decode(Array(text.utf8))
        #expect(envelope.id == "634089652327989200123")
        #expect(envelope.encryptedBody?.timeStamp == "1661233174000")
    }

    @Test func aMissingOrEmptyIdIsAnErrorNamingTheField() {
        for text in [#"{"event":"E","body":{}}"#, #"{"id":"","body":{}}"#, #"{"id":null,"body":{}}"#] {
            #expect(throws: EventError.missingField("id")) { try Envelope.decode(Array(text.utf8)) }
        }
        #expect(EventError.missingField("id").description.contains("`id`"))
    }

    @Test func aBodyThatIsNotAnObjectIsAnErrorNamingTheField() {
        #expect(throws: EventError.wrongType(field: "body", expected: "an object")) {
            try Envelope.decode(Array(#"{"id":"1","body":"text"}"#.utf8))
        }
        #expect(throws: EventError.missingField("body")) { try Envelope.decode(Array(#"{"id":"1"}"#.utf8)) }
    }

    @Test func bytesThatAreNotAnObjectAreRefused() {
        #expect(throws: EventError.self) { try Envelope.decode(Array("{".utf8)) }
        #expect(throws: EventError.wrongType(field: "envelope", expected: "an object")) {
            try Envelope.decode(Array("[1]".utf8))
        }
    }

    @Test func aDecryptedBodyReplacesTheEncryptedOneInTheStoredJSON() throws {
        let envelope = try Envelope.decode(try Fixtures.bytes("encrypted-example.json"))
        let plain = envelope.withBody(["user_id": "468"])
        #expect(plain.encryptedBody == nil)
        let stored = try Envelope.decode(plain.json.serializedBytes())
        #expect(stored == plain)
        #expect(plain.json["id"] == "902e9918-ca15-4876-bd1e-7b0341587c5f")
    }
}
