"""Where a cohort meets, said once: at its centre, or at a venue away from it (a camp in a school or a hall of
another district)."""

from courses.models import Cohort
from language import place_name


def _parts(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def meeting_place(cohort: Cohort) -> list[str]:
    """The parts of the address where ``cohort`` meets, for a page to join (``|listed``, which uses the reader's
    comma): away from the centre, its venue and the venue's district (the centre's district when none is set);
    else the centre's name and address. Districts are named in the reader's language (``place_name``).

    Nothing is said twice: a part that repeats the one before it is left out, so a centre named after its
    partner whose address starts with the partner ("Digital Skills Centre, Akhuwat Foundation" at "Akhuwat
    Foundation, Lahore") reads "Digital Skills Centre, Akhuwat Foundation, Lahore", and a venue whose text
    ends with its district ("Community Hall, Sheikhupura") does not name the district again."""
    centre = cohort.centre
    if cohort.meets_away:
        district = cohort.venue_district or centre.district
        parts = _parts(cohort.venue)
        if parts and parts[-1].casefold() in (district.name.casefold(), (district.name_ur or "").casefold()):
            parts.pop()
        parts.append(place_name(district))
    else:
        parts = _parts(centre.name) + _parts(centre.address)
    said: list[str] = []
    for part in parts:
        if not said or said[-1].casefold() != part.casefold():
            said.append(part)
    return said
