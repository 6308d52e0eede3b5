import Foundation
import Testing

@testable import CommsCore

/// `JSONWriter` keeps its commas per level in one word, and levels past 64
/// in an array: both must put commas where members follow each other.
@Suite struct JSONWriterNestingTests {
  /// `{"a":"1","b":{…},"c":"2"}` nested `levels` deep, written by hand.
  func expected(levels: Int) -> String {
    levels == 0
      ? #"{"leaf":"x"}"# : #"{"a":"1","b":"# + expected(levels: levels - 1) + #","c":"2"}"#
  }

  func written(levels: Int) -> String {
    var writer = JSONWriter()
    func write(_ level: Int) {
      writer.beginObject()
      if level == 0 {
        writer.member("leaf", "x")
      } else {
        writer.member("a", "1")
        writer.key("b")
        write(level - 1)
        writer.endMember()
        writer.member("c", "2")
      }
      writer.endObject()
    }
    write(levels)
    return String(decoding: writer.bytes, as: UTF8.self)
  }

  @Test(arguments: [0, 1, 2, 63, 64, 65, 100])
  func commasAtEveryDepth(levels: Int) throws {
    let text = written(levels: levels)
    #expect(text == expected(levels: levels))
    _ = try JSONSerialization.jsonObject(with: Data(text.utf8))
  }

  @Test func arraysOfObjectsTakeCommasBetweenElements() {
    var writer = JSONWriter()
    writer.beginObject()
    writer.key("list")
    writer.beginArray()
    for name in ["x", "y", "z"] {
      writer.beginObject()
      writer.member("n", name)
      writer.endObject()
      writer.endMember()
    }
    writer.endArray()
    writer.endMember()
    writer.member("after", 1)
    writer.endObject()
    #expect(
      String(decoding: writer.bytes, as: UTF8.self)
        == #"{"list":[{"n":"x"},{"n":"y"},{"n":"z"}],"after":1}"#)
  }
}
