"""Where training happens: provinces, their districts, and the centres in them."""

from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from database import enum_type
from extensions import db
from vocabulary import PartnerType

if TYPE_CHECKING:
    from courses.models import Cohort


class Province(db.Model):
    """A province or territory; reference data loaded from ``seed/data/pakistan.json``."""

    __tablename__ = "province"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    name_ur: Mapped[str] = mapped_column(String(80), default="")

    districts: Mapped[list["District"]] = relationship(back_populates="province", order_by="District.name")

    def __repr__(self) -> str:
        return f"<Province {self.code}>"


class District(db.Model):
    """An administrative district of a province; ``rural`` marks predominantly rural districts."""

    __tablename__ = "district"
    __table_args__ = (UniqueConstraint("province_id", "code"), UniqueConstraint("province_id", "name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    code: Mapped[str] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(80))
    name_ur: Mapped[str] = mapped_column(String(80), default="")
    rural: Mapped[bool] = mapped_column(Boolean, default=False)

    province: Mapped[Province] = relationship(back_populates="districts")
    centres: Mapped[list["Centre"]] = relationship(back_populates="district")

    def __repr__(self) -> str:
        return f"<District {self.name}>"


class Centre(db.Model):
    """A training centre in one district, run with a partner institution."""

    __tablename__ = "centre"
    __table_args__ = (CheckConstraint("lab_seats >= 0", name="lab_seats_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    address: Mapped[str] = mapped_column(Text, default="")
    partner_type: Mapped[PartnerType] = mapped_column(enum_type(PartnerType, "partner_type"))
    partner_name: Mapped[str] = mapped_column(String(200))
    lab_seats: Mapped[int] = mapped_column(Integer, default=0)
    women_only: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)

    district: Mapped[District] = relationship(back_populates="centres")
    cohorts: Mapped[list["Cohort"]] = relationship(back_populates="centre")

    def __repr__(self) -> str:
        return f"<Centre {self.code}>"
