#include "adapters/valkey/reply.h"

#include <utility>

namespace od::adapters::valkey {

namespace {

std::string_view errorText(const redisReply* reply) {
  if (reply == nullptr || reply->type != REDIS_REPLY_ERROR || reply->str == nullptr) {
    return {};
  }
  return std::string_view(reply->str, reply->len);
}

}  // namespace

bool errorStartsWith(const redisReply* reply, std::string_view prefix) {
  return errorText(reply).substr(0, prefix.size()) == prefix;
}

bool errorContains(const redisReply* reply, std::string_view text) {
  return errorText(reply).find(text) != std::string_view::npos;
}

core::Error errorFromReply(const redisReply* reply) {
  std::string message = "valkey: " + std::string(errorText(reply));
  auto code = core::Errc::Internal;
  if (errorStartsWith(reply, "NOGROUP")) {
    code = core::Errc::NotFound;
  } else if (errorStartsWith(reply, "WRONGTYPE")) {
    code = core::Errc::Corrupt;
  } else if (errorStartsWith(reply, "NOAUTH") || errorStartsWith(reply, "WRONGPASS") ||
             errorStartsWith(reply, "NOPERM")) {
    code = core::Errc::Permission;
  } else if (errorStartsWith(reply, "LOADING") || errorStartsWith(reply, "BUSY") ||
             errorStartsWith(reply, "READONLY") || errorStartsWith(reply, "MASTERDOWN") ||
             errorStartsWith(reply, "OOM") || errorStartsWith(reply, "TRYAGAIN") ||
             errorContains(reply, "Function not found")) {
    code = core::Errc::Unavailable;
  } else if (errorContains(reply, "Invalid stream ID") || errorContains(reply, "wrong number of")) {
    code = core::Errc::Invalid;
  }
  return core::makeError(code, std::move(message));
}

bool isString(const redisReply* reply) {
  return reply != nullptr &&
         (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS);
}

std::string toString(const redisReply* reply) {
  if (!isString(reply) || reply->str == nullptr) {
    return {};
  }
  return std::string(reply->str, reply->len);
}

core::Error unexpected(std::string_view what) {
  return core::makeError(core::Errc::Corrupt,
                         "valkey: unexpected reply shape (" + std::string(what) + ")");
}

core::Result<core::StreamFields> parseFields(const redisReply* reply) {
  core::StreamFields fields;
  if (reply->type == REDIS_REPLY_NIL) {
    return fields;
  }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0) {
    return unexpected("entry fields");
  }
  fields.reserve(reply->elements / 2);
  for (size_t i = 0; i < reply->elements; i += 2) {
    if (!isString(reply->element[i]) || !isString(reply->element[i + 1])) {
      return unexpected("entry field");
    }
    fields.emplace_back(toString(reply->element[i]), toString(reply->element[i + 1]));
  }
  return fields;
}

core::Result<core::StreamEntry> parseEntry(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 || !isString(reply->element[0])) {
    return unexpected("entry");
  }
  OD_TRY(core::StreamFields fields, parseFields(reply->element[1]));
  return core::StreamEntry{toString(reply->element[0]), std::move(fields)};
}

core::Result<std::vector<core::StreamEntry>> parseEntries(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY) {
    return unexpected("entry list");
  }
  std::vector<core::StreamEntry> entries;
  entries.reserve(reply->elements);
  for (size_t i = 0; i < reply->elements; ++i) {
    OD_TRY(core::StreamEntry entry, parseEntry(reply->element[i]));
    entries.push_back(std::move(entry));
  }
  return entries;
}

core::Result<std::vector<core::StreamEntry>> parseStreamsReply(const redisReply* reply) {
  if (reply->type == REDIS_REPLY_NIL) {
    return std::vector<core::StreamEntry>{};
  }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 1) {
    return unexpected("streams reply");
  }
  const redisReply* stream = reply->element[0];
  if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2) {
    return unexpected("stream in reply");
  }
  return parseEntries(stream->element[1]);
}

core::Result<std::vector<core::Delivery>> parseCounted(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY) {
    return unexpected("counted entries");
  }
  std::vector<core::Delivery> out;
  out.reserve(reply->elements);
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* item = reply->element[i];
    if (item->type != REDIS_REPLY_ARRAY || item->elements != 3 ||
        item->element[2]->type != REDIS_REPLY_INTEGER) {
      return unexpected("counted entry");
    }
    OD_TRY(core::StreamEntry entry, parseEntry(item));
    out.push_back(core::Delivery{std::move(entry), static_cast<uint64_t>(item->element[2]->integer)});
  }
  return out;
}

}  // namespace od::adapters::valkey
