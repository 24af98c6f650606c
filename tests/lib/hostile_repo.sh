# Sourced by tests: a hostile git host, simulated with stock git plumbing on a bare
# repository. Each function changes one branch of REPO the way a host that cannot forge
# signatures still can, so that a verifier (vigil sync, later vigil audit) can be shown to
# refuse or alarm. Every change goes through a temporary index; nothing needs a work tree.
#
#   hr_save REPO REF               print the branch's commit (to restore it later)
#   hr_set REPO REF OID            point the branch at OID (restore, or roll back)
#   hr_rollback REPO REF [N]       move the branch N commits back (default 1)
#   hr_rewrite REPO REF            replace the head commit by another with the same tree
#                                  (history rewritten: the old head is not an ancestor)
#   hr_remove REPO REF             a new commit that deletes one entry's .age file
#   hr_change REPO REF             a new commit that flips a byte of one entry's .age
#   hr_forge_oid REPO REF          a new commit whose first .age is other bytes stored
#                                  under an object id that is not theirs
#   hr_foreign REPO REF            a new commit that adds a file outside the layout
#   hr_leaf_junk REPO REF          a new commit that adds, beside the first entry, names the
#                                  layout refuses (another suffix, upper-case hex, an id
#                                  under another directory), a .age without its .minisig,
#                                  a symbolic link, an executable signature, a directory
#   hr_oversized REPO REF          a new commit that adds an entry pair whose .age is
#                                  larger than an entry can be (2 MiB of zeros)
#   hr_first_entry REPO REF        print the path of the branch's first .age file
#   hr_entry_at REPO REF SEQ       print the id of the branch's entry with sequence SEQ
#   hr_add_pair REPO REF FILE.age  a new commit that adds FILE.age and FILE.age.minisig as
#                                  an entry (named by the file's name, an id)
#   hr_roster_drop REPO N          a new roster branch commit without versions/N
#   hr_roster_add REPO DIR N       a new roster branch commit adding DIR/roster.json and
#                                  its signature as versions/N and as the top-level pair

# An empty work tree: index commands want one, and never touch it here.
HR_WORK=$(mktemp -d "${TMPDIR:-/tmp}/hr-work-XXXXXX")

hr_git() {
	local repo=$1
	shift
	GIT_CONFIG_NOSYSTEM=1 HOME=/nonexistent git --git-dir="$repo" --work-tree="$HR_WORK" "$@"
}

hr_save() {
	hr_git "$1" rev-parse --verify "$2^{commit}"
}

hr_set() {
	hr_git "$1" update-ref "$2" "$3"
}

hr_rollback() {
	hr_set "$1" "$2" "$(hr_git "$1" rev-parse --verify "$2~${3:-1}")"
}

# _hr_commit REPO REF TREE: commit TREE on top of REF with vigil's fixed identity.
_hr_commit() {
	local c
	c=$(GIT_AUTHOR_NAME=vigil GIT_AUTHOR_EMAIL=vigil@invalid GIT_AUTHOR_DATE='@0 +0000' \
		GIT_COMMITTER_NAME=vigil GIT_COMMITTER_EMAIL=vigil@invalid \
		GIT_COMMITTER_DATE='@0 +0000' hr_git "$1" commit-tree "$3" -p "$2" </dev/null)
	hr_set "$1" "$2" "$c"
}

hr_rewrite() {
	local tree parent c
	tree=$(hr_git "$1" rev-parse "$2^{tree}")
	parent=$(hr_git "$1" rev-parse --verify -q "$2~1" || true)
	c=$(GIT_AUTHOR_NAME=vigil GIT_AUTHOR_EMAIL=vigil@invalid GIT_AUTHOR_DATE='@1 +0000' \
		GIT_COMMITTER_NAME=vigil GIT_COMMITTER_EMAIL=vigil@invalid \
		GIT_COMMITTER_DATE='@1 +0000' hr_git "$1" commit-tree "$tree" ${parent:+-p "$parent"} \
		-m rewritten </dev/null)
	hr_set "$1" "$2" "$c"
}

hr_first_entry() {
	hr_git "$1" ls-tree -r --name-only "$2" | grep '\.age$' | head -n 1
}

# _hr_edit REPO REF CMD...: run CMD with GIT_INDEX_FILE set to REF's tree, then commit.
_hr_edit() {
	local repo=$1 ref=$2 idx
	shift 2
	idx=$(mktemp "${TMPDIR:-/tmp}/hr-index-XXXXXX")
	rm -f "$idx"
	GIT_INDEX_FILE=$idx hr_git "$repo" read-tree "$ref"
	GIT_INDEX_FILE=$idx "$@"
	_hr_commit "$repo" "$ref" "$(GIT_INDEX_FILE=$idx hr_git "$repo" write-tree)"
	rm -f "$idx"
}

hr_remove() {
	local p
	p=$(hr_first_entry "$1" "$2")
	_hr_edit "$1" "$2" hr_git "$1" update-index --force-remove "$p"
}

hr_change() {
	local p blob f
	p=$(hr_first_entry "$1" "$2")
	f=$(mktemp "${TMPDIR:-/tmp}/hr-blob-XXXXXX")
	hr_git "$1" cat-file blob "$2:$p" >"$f"
	printf '\001' | dd of="$f" bs=1 seek=200 conv=notrunc status=none
	blob=$(hr_git "$1" hash-object -w "$f")
	rm -f "$f"
	_hr_edit "$1" "$2" hr_git "$1" update-index --cacheinfo "100644,$blob,$p"
}

# A loose object renamed: git reads it under the forged id without a word.
hr_forge_oid() {
	local p f blob forged
	p=$(hr_first_entry "$1" "$2")
	f=$(mktemp "${TMPDIR:-/tmp}/hr-blob-XXXXXX")
	hr_git "$1" cat-file blob "$2:$p" >"$f"
	printf '\001' | dd of="$f" bs=1 seek=200 conv=notrunc status=none
	blob=$(hr_git "$1" hash-object -w "$f")
	forged=$(printf 'forged %s' "$blob" | sha1sum | cut -c1-40)
	mkdir -p "$1/objects/${forged:0:2}"
	mv "$1/objects/${blob:0:2}/${blob:2}" "$1/objects/${forged:0:2}/${forged:2}"
	rm -f "$f"
	_hr_edit "$1" "$2" hr_git "$1" update-index --cacheinfo "100644,$forged,$p"
}

hr_foreign() {
	local blob
	blob=$(printf 'not an entry\n' | hr_git "$1" hash-object -w --stdin)
	_hr_edit "$1" "$2" hr_git "$1" update-index --add --cacheinfo "100644,$blob,README"
}

hr_leaf_junk() {
	local p dir id pfx other blob
	p=$(hr_first_entry "$1" "$2")
	dir=${p%/*}
	id=$(basename "$p" .age)
	pfx=${id:0:4}
	if [ "${pfx:0:2}" = 00 ]; then other=11${pfx:2:2}; else other=00${pfx:2:2}; fi
	blob=$(printf 'not an entry\n' | hr_git "$1" hash-object -w --stdin)
	_hr_edit "$1" "$2" hr_git "$1" update-index --add \
		--cacheinfo "100644,$blob,$dir/$id.age.bak" \
		--cacheinfo "100644,$blob,$dir/${pfx}$(printf 'A%.0s' {1..60}).age" \
		--cacheinfo "100644,$blob,$dir/${other}$(printf 'a%.0s' {1..60}).age" \
		--cacheinfo "100644,$blob,$dir/${pfx}$(printf 'b%.0s' {1..60}).age" \
		--cacheinfo "120000,$blob,$dir/${pfx}$(printf 'c%.0s' {1..60}).age" \
		--cacheinfo "100644,$blob,$dir/${pfx}$(printf 'c%.0s' {1..60}).age.minisig" \
		--cacheinfo "100644,$blob,$dir/${pfx}$(printf 'd%.0s' {1..60}).age" \
		--cacheinfo "100755,$blob,$dir/${pfx}$(printf 'd%.0s' {1..60}).age.minisig" \
		--cacheinfo "100644,$blob,$dir/${pfx}$(printf 'e%.0s' {1..60}).age/x"
}

hr_oversized() {
	local id blob sig f
	id=$(printf 'oversized' | sha256sum | cut -d' ' -f1)
	f=$(mktemp "${TMPDIR:-/tmp}/hr-big-XXXXXX")
	head -c 2097152 /dev/zero >"$f"
	blob=$(hr_git "$1" hash-object -w "$f")
	sig=$(printf 'untrusted comment: vigil signature\n' | hr_git "$1" hash-object -w --stdin)
	rm -f "$f"
	_hr_edit "$1" "$2" hr_git "$1" update-index --add \
		--cacheinfo "100644,$blob,entries/${id:0:2}/${id:2:2}/$id.age" \
		--cacheinfo "100644,$sig,entries/${id:0:2}/${id:2:2}/$id.age.minisig"
}

hr_entry_at() {
	local p
	for p in $(hr_git "$1" ls-tree -r --name-only "$2" | grep '\.age\.minisig$'); do
		if hr_git "$1" cat-file blob "$2:$p" | sed -n 3p | grep -q " seq=$3 "; then
			basename "$p" .age.minisig
			return 0
		fi
	done
	return 1
}

hr_add_pair() {
	local id a s
	id=$(basename "$3" .age)
	a=$(hr_git "$1" hash-object -w "$3")
	s=$(hr_git "$1" hash-object -w "$3.minisig")
	_hr_edit "$1" "$2" hr_git "$1" update-index --add \
		--cacheinfo "100644,$a,entries/${id:0:2}/${id:2:2}/$id.age" \
		--cacheinfo "100644,$s,entries/${id:0:2}/${id:2:2}/$id.age.minisig"
}

hr_roster_drop() {
	_hr_edit "$1" refs/heads/roster hr_git "$1" update-index --force-remove \
		"versions/$2/roster.json" "versions/$2/roster.json.minisig"
}

hr_roster_add() {
	local j s
	j=$(hr_git "$1" hash-object -w "$2/roster.json")
	s=$(hr_git "$1" hash-object -w "$2/roster.json.minisig")
	_hr_edit "$1" refs/heads/roster hr_git "$1" update-index --add \
		--cacheinfo "100644,$j,versions/$3/roster.json" \
		--cacheinfo "100644,$s,versions/$3/roster.json.minisig" \
		--cacheinfo "100644,$j,roster.json" --cacheinfo "100644,$s,roster.json.minisig"
}
