// Entry: the archive entry builder of readers.h.
#include <utility>

#include "protocols/postgres/schema/readers.h"

namespace dbsnap::pg {

Entry::Entry(const Context& ctx, std::string type, std::string tag) : ctx_(ctx) {
  toc_.type = std::move(type);
  toc_.tag = std::move(tag);
}

Entry& Entry::schema(std::string schema) {
  toc_.schema = std::move(schema);
  return *this;
}

Entry& Entry::owner(std::string owner) {
  toc_.owner = std::move(owner);
  return *this;
}

Entry& Entry::sql(std::string defn) {
  toc_.defn = std::move(defn);
  return *this;
}

Entry& Entry::alter_owner(std::string target) {
  toc_.alter_owner = std::move(target);
  return *this;
}

Entry& Entry::comment(std::uint32_t classoid, std::uint32_t oid, std::string tag,
                      std::string target) {
  comment_ = Comment{classoid, oid, std::move(tag), std::move(target)};
  return *this;
}

Entry& Entry::acl(std::string tag, std::string type, std::string name, Acl acl) {
  acl_ = Privileges{std::move(tag), std::move(type), std::move(name), std::move(acl)};
  return *this;
}

std::size_t add_owned_object(Context& ctx, Priority priority, std::uint32_t classoid,
                             const std::string& kind, std::uint32_t oid, std::string schema,
                             std::string name, std::optional<std::string> owner, std::string defn) {
  std::string q = schema.empty() ? ctx.ident(name) : ctx.qualified(schema, name);
  Entry e(ctx, kind, name);
  e.schema(schema)
      .sql(std::move(defn))
      .comment(classoid, oid, kind + " " + ctx.ident(name), kind + " " + q);
  if (owner) e.owner(std::move(*owner)).alter_owner("ALTER " + kind + " " + q);
  return ctx.add_object(priority, classoid, oid, std::move(schema), std::move(name),
                        [e = std::move(e)](Output& out) { e.write(out); });
}

void Entry::write(Output& out) const {
  out.entry(toc_);
  // pg_dump passes "" as the owner of an ownerless object's comment.
  std::string owner = toc_.owner.value_or("");
  if (comment_)
    ctx_.comment(out, comment_->classoid, comment_->oid, 0, comment_->tag, comment_->target,
                 toc_.schema, owner);
  if (acl_)
    out.acl(acl_->tag, acl_->type, acl_->name, "", toc_.schema, owner, acl_->acl.acl,
            acl_->acl.is_null, acl_->acl.base);
}

}  // namespace dbsnap::pg
