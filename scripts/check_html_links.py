"""Check the internal links of a built HTML site (tests/pipeline/docs.py, step 4).

Usage: python scripts/check_html_links.py SITE_DIR

Every href and src of every *.html file under SITE_DIR that points into the site (no URL
scheme, not protocol-relative) must name a file that exists inside SITE_DIR, and its
#fragment, if any, must be an id (or a name) in that file. A path starting with / is taken
relative to SITE_DIR (the site is served at the root of its host). External links are counted but
not fetched: the build is offline. Prints one line per broken link and a summary; exits 1
when a link is broken or when the site has no page.
"""

import os
import sys
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

LINK_ATTRS = {'a': 'href', 'link': 'href', 'img': 'src', 'script': 'src', 'iframe': 'src'}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = set()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ('id', 'name'):
            if attrs.get(key) and (key == 'id' or tag == 'a'):
                self.ids.add(attrs[key])
        attr = LINK_ATTRS.get(tag)
        if attr and attrs.get(attr) is not None:
            self.links.append(attrs[attr])


def parse(path):
    page = Page()
    with open(path, encoding='utf-8') as f:
        page.feed(f.read())
    return page


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    root = os.path.realpath(argv[1])
    pages = {}
    for top, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith('.html'):
                path = os.path.join(top, name)
                pages[path] = parse(path)
    if not pages:
        print('not ok: no HTML page under %s' % root)
        return 1
    broken = []
    internal = external = 0
    for path, page in sorted(pages.items()):
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith('//'):
                external += 1
                continue
            internal += 1
            if parts.path.startswith('/'):
                # site-absolute (the theme's logo links to /): the site is served at its root
                target = os.path.realpath(os.path.join(root, unquote(parts.path).lstrip('/')))
                if os.path.isdir(target):
                    target = os.path.join(target, 'index.html')
            elif parts.path:
                target = os.path.realpath(os.path.join(os.path.dirname(path), unquote(parts.path)))
                if os.path.isdir(target):
                    target = os.path.join(target, 'index.html')
            else:
                target = path
            where = '%s: %s' % (os.path.relpath(path, root), link)
            if not (target == root or target.startswith(root + os.sep)):
                broken.append('%s: points outside the site' % where)
            elif not os.path.isfile(target):
                broken.append('%s: no such file' % where)
            elif parts.fragment and target.endswith('.html'):
                ids = pages[target].ids if target in pages else parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append('%s: no anchor #%s' % (where, parts.fragment))
    for line in broken:
        print('not ok: %s' % line)
    print('%d pages, %d internal links (%d broken), %d external links not checked (offline)'
          % (len(pages), internal, len(broken), external))
    return 1 if broken else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
