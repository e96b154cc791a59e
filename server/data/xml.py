"""Parsing untrusted XML safely.

Every XML document Jaring reads from outside (submissions, uploaded XForms) goes through
`parse_untrusted_xml`: no entity expansion, no DTD loading, no network, no huge trees.
A document that declares a DOCTYPE at all is refused, which stops XXE and billion-laughs
attacks before anything is expanded.
"""

from __future__ import annotations

from lxml import etree


class XmlError(ValueError):
    """The bytes are not a well-formed, acceptable XML document."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse_untrusted_xml(content: bytes) -> etree._Element:
    """Parse ``content`` and return its root element, or raise `XmlError`."""
    if not content or not content.strip():
        raise XmlError("the document is empty")
    try:
        root = etree.fromstring(content, parser=_parser())
    except etree.XMLSyntaxError as error:
        raise XmlError(f"the document is not well-formed XML: {error}") from error
    except ValueError as error:  # e.g. an encoding declaration lxml cannot honour
        raise XmlError(f"the document could not be read: {error}") from error
    if root is None:
        raise XmlError("the document has no root element")
    if root.getroottree().docinfo.doctype:
        raise XmlError("documents with a DOCTYPE declaration are not accepted")
    return root


def local_name(element: etree._Element) -> str:
    """An element's tag without its namespace."""
    tag = element.tag
    if isinstance(tag, str):  # "{namespace}name" or "name"; read on every submission field
        return tag.rpartition("}")[2]
    return etree.QName(element).localname
